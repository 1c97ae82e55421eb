# "14 Mayıs 2009, 22:42".
DATETIME_FORMAT = r"j F Y, H:i"
