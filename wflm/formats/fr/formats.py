# "14 mai 2009 à 22 h 42", as French typography writes a time.
DATETIME_FORMAT = r"j F Y \à G \h i"
