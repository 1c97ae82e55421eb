# "14. Mai 2009 um 22:42".
DATETIME_FORMAT = r"j. F Y \u\m H:i"
