"""Month names, listed so makemessages keeps our corrections of Django's own translations.

Django's Belarusian catalogue gives genitive forms ("траўня") where a month stands alone
("травень 2020 г.") and its Russian one capitalises months mid-sentence; locale/ overrides
both, and makemessages only keeps entries it finds in the source.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
