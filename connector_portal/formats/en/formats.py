"""The portal's one date format ("1 Dec 2026 16:30"), in place of Django's English ones ("Dec. 1, 2026, 4:30 p.m.").

Django picks the active language's format module before the settings' formats, so the portal's own for English
(FORMAT_MODULE_PATH) is what every template, form and admin page uses. connector_portal.dates is the same in Python.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
