# Django's own: "2009年5月14日 22:42".
