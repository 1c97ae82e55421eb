"""Date formats per interface language, read before Django's own (FORMAT_MODULE_PATH).

Only what differs from Django's is set; a language missing here uses Django's.
"""
