# Django's own: "14 de mayo de 2009 a las 22:42".
