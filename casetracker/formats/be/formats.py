# Django ships no Belarusian formats; these follow Belarusian usage ("29 траўня 2020 г.").
DATE_FORMAT = "j E Y г."
YEAR_MONTH_FORMAT = "F Y г."
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
