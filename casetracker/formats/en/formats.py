# Day-month-year, as the NGOs and the press this tool serves write dates in English.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
