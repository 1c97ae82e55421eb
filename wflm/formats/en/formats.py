# Post dates as the archive has always shown them ("May 14, 2009"; Django's
# own abbreviates months). Thread dates: comments/threads.py.
DATE_FORMAT = "F j, Y"
