"""Date vocabulary per language, kept as data beside the generic code in ``grammar.py``.

Words are written here in their *folded* form (see ``grammar.fold``): lower case, Arabic
diacritics and tatweel removed, أ/إ/آ → ا, ى → ي, ة → ه. That keeps one spelling per word
instead of every hamza and taa-marbuta variant a newsroom CMS may emit.

Arabic has several month-name systems which never collide, so all of them are always accepted
(Egyptian/Gulf, Maghreb, Algerian/Tunisian, Levantine/Iraqi); dateparser itself only knows the
Moroccan ones under the ``ar-MA`` locale and the Levantine ones not at all.
"""

from __future__ import annotations

# month number -> spellings (folded). Abbreviations may carry a dot in the text; the grammar
# swallows it.
MONTHS: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        1: ("january", "jan"), 2: ("february", "feb"), 3: ("march", "mar"),
        4: ("april", "apr"), 5: ("may",), 6: ("june", "jun"), 7: ("july", "jul"),
        8: ("august", "aug"), 9: ("september", "sept", "sep"), 10: ("october", "oct"),
        11: ("november", "nov"), 12: ("december", "dec"),
    },
    "fr": {
        # "mar." is mardi in French, so March is only "mars".
        1: ("janvier", "janv", "jan"), 2: ("février", "fevrier", "févr", "fevr", "fév", "fev"),
        3: ("mars",), 4: ("avril", "avr"), 5: ("mai",), 6: ("juin",),
        7: ("juillet", "juil"), 8: ("août", "aout", "aoû"), 9: ("septembre", "sept", "sep"),
        10: ("octobre", "oct"), 11: ("novembre", "nov"),
        12: ("décembre", "decembre", "déc", "dec"),
    },
    "it": {
        1: ("gennaio", "gen"), 2: ("febbraio", "feb"), 3: ("marzo", "mar"),
        4: ("aprile", "apr"), 5: ("maggio", "mag"), 6: ("giugno", "giu"),
        7: ("luglio", "lug"), 8: ("agosto", "ago"), 9: ("settembre", "sett", "set"),
        10: ("ottobre", "ott"), 11: ("novembre", "nov"), 12: ("dicembre", "dic"),
    },
    "es": {
        1: ("enero", "ene"), 2: ("febrero", "feb"), 3: ("marzo", "mar"), 4: ("abril", "abr"),
        5: ("mayo", "may"), 6: ("junio", "jun"), 7: ("julio", "jul"), 8: ("agosto", "ago"),
        9: ("septiembre", "setiembre", "sept", "sep", "set"), 10: ("octubre", "oct"),
        11: ("noviembre", "nov"), 12: ("diciembre", "dic"),
    },
    "ru": {
        1: ("января", "январь", "янв"), 2: ("февраля", "февраль", "февр", "фев"),
        3: ("марта", "март", "мар"), 4: ("апреля", "апрель", "апр"), 5: ("мая", "май"),
        6: ("июня", "июнь", "июн"), 7: ("июля", "июль", "июл"),
        8: ("августа", "август", "авг"), 9: ("сентября", "сентябрь", "сент", "сен"),
        10: ("октября", "октябрь", "окт"), 11: ("ноября", "ноябрь", "нояб", "ноя"),
        12: ("декабря", "декабрь", "дек"),
    },
    # Kazakh months take case suffixes (наурызда, наурыздың); the grammar lets a suffix follow.
    "kk": {
        1: ("қаңтар",), 2: ("ақпан",), 3: ("наурыз",), 4: ("сәуір",), 5: ("мамыр",),
        6: ("маусым",), 7: ("шілде",), 8: ("тамыз",), 9: ("қыркүйек",), 10: ("қазан",),
        11: ("қараша",), 12: ("желтоқсан",),
    },
    "ar": {
        1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني"),
        2: ("فبراير", "فيفري", "شباط"),
        3: ("مارس", "اذار"),
        4: ("ابريل", "افريل", "نيسان"),
        5: ("مايو", "ماي", "ايار"),
        6: ("يونيو", "يونيه", "جوان", "حزيران"),
        7: ("يوليو", "يوليه", "يوليوز", "جويليه", "تموز"),
        8: ("اغسطس", "غشت", "اوت", "اب"),
        9: ("سبتمبر", "شتنبر", "ايلول"),
        10: ("اكتوبر", "تشرين الاول", "تشرين اول"),
        11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني"),
        12: ("ديسمبر", "دجنبر", "كانون الاول", "كانون اول"),
    },
}

# Languages whose month names may carry a case suffix glued on.
# Languages newsmon does not analyse but meets on real pages: full month names only (short forms
# such as pt "out" or de "mär" are words of other languages), written as bylines write them.
MONTHS.update({
    "pt": {
        1: ("janeiro",), 2: ("fevereiro",), 3: ("março", "marco"), 4: ("abril",), 5: ("maio",),
        6: ("junho",), 7: ("julho",), 8: ("agosto",), 9: ("setembro",), 10: ("outubro",),
        11: ("novembro",), 12: ("dezembro",),
    },
    # Bosnian, Serbian (Latin) and Croatian: nominative and genitive ("9. oktobra 2020",
    # "9. listopada" is left out: October in Croatian, November in Polish).
    "bs": {
        1: ("januar", "januara", "siječanj", "siječnja"), 2: ("februar", "februara", "veljača", "veljače"),
        3: ("mart", "marta", "ožujak", "ožujka"), 4: ("april", "aprila", "travanj", "travnja"),
        5: ("maj", "maja", "svibanj", "svibnja"), 6: ("juni", "juna", "jun", "lipanj", "lipnja"),
        7: ("juli", "jula", "jul", "srpanj", "srpnja"), 8: ("august", "augusta", "avgust", "avgusta", "kolovoz", "kolovoza"),
        9: ("septembar", "septembra", "rujan", "rujna"), 10: ("oktobar", "oktobra"),
        11: ("novembar", "novembra", "studeni", "studenoga", "studenog"), 12: ("decembar", "decembra", "prosinac", "prosinca"),
    },
    "de": {
        1: ("januar", "jänner"), 2: ("februar",), 3: ("märz", "maerz"), 4: ("april",), 5: ("mai",),
        6: ("juni",), 7: ("juli",), 8: ("august",), 9: ("september",), 10: ("oktober",),
        11: ("november",), 12: ("dezember",),
    },
    "ro": {
        1: ("ianuarie",), 2: ("februarie",), 3: ("martie",), 4: ("aprilie",), 5: ("mai",),
        6: ("iunie",), 7: ("iulie",), 8: ("august",), 9: ("septembrie",), 10: ("octombrie",),
        11: ("noiembrie",), 12: ("decembrie",),
    },
    "nl": {
        1: ("januari",), 2: ("februari",), 3: ("maart",), 4: ("april",), 5: ("mei",), 6: ("juni",),
        7: ("juli",), 8: ("augustus",), 9: ("september",), 10: ("oktober",), 11: ("november",),
        12: ("december",),
    },
    "pl": {
        1: ("stycznia", "styczeń"), 2: ("lutego", "luty"), 3: ("marca", "marzec"), 4: ("kwietnia", "kwiecień"),
        5: ("maja",), 6: ("czerwca", "czerwiec"), 7: ("lipca", "lipiec"), 8: ("sierpnia", "sierpień"),
        9: ("września", "wrzesień"), 10: ("października", "październik"), 11: ("listopada", "listopad"),
        12: ("grudnia", "grudzień"),
    },
})
# Other names of the same language for the month tables (an hr or sr page reads the bs table).
MONTH_LANGUAGE_ALIASES = {"hr": "bs", "sr": "bs", "sh": "bs", "mo": "ro"}

SUFFIXED_MONTHS = frozenset({"kk"})

# Umm al-Qura month names (folded).
HIJRI_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("محرم",), 2: ("صفر",), 3: ("ربيع الاول", "ربيع اول"),
    4: ("ربيع الاخر", "ربيع الثاني", "ربيع ثاني"),
    5: ("جمادي الاولي", "جمادي الاول", "جمادي اولي"),
    6: ("جمادي الاخره", "جمادي الاخر", "جمادي الثانيه", "جمادي الثاني"),
    7: ("رجب",), 8: ("شعبان",), 9: ("رمضان",), 10: ("شوال",),
    11: ("ذو القعده", "ذي القعده"), 12: ("ذو الحجه", "ذي الحجه"),
}

# Relative-date units: spelling -> (unit, implied count when no number is written).
# Units: s, min, h, d, w, mo, y.
UNITS: dict[str, dict[str, tuple[str, int]]] = {
    "en": {
        "second": ("s", 1), "seconds": ("s", 1), "sec": ("s", 1), "secs": ("s", 1),
        "minute": ("min", 1), "minutes": ("min", 1), "min": ("min", 1), "mins": ("min", 1),
        "hour": ("h", 1), "hours": ("h", 1), "hr": ("h", 1), "hrs": ("h", 1), "h": ("h", 1),
        "day": ("d", 1), "days": ("d", 1), "week": ("w", 1), "weeks": ("w", 1),
        "month": ("mo", 1), "months": ("mo", 1), "year": ("y", 1), "years": ("y", 1),
    },
    "fr": {
        "seconde": ("s", 1), "secondes": ("s", 1), "s": ("s", 1),
        "minute": ("min", 1), "minutes": ("min", 1), "min": ("min", 1), "mn": ("min", 1),
        "heure": ("h", 1), "heures": ("h", 1), "h": ("h", 1),
        "jour": ("d", 1), "jours": ("d", 1), "semaine": ("w", 1), "semaines": ("w", 1),
        "mois": ("mo", 1), "an": ("y", 1), "ans": ("y", 1), "année": ("y", 1), "années": ("y", 1),
    },
    "it": {
        "secondo": ("s", 1), "secondi": ("s", 1), "minuto": ("min", 1), "minuti": ("min", 1),
        "min": ("min", 1), "ora": ("h", 1), "ore": ("h", 1), "giorno": ("d", 1),
        "giorni": ("d", 1), "settimana": ("w", 1), "settimane": ("w", 1), "mese": ("mo", 1),
        "mesi": ("mo", 1), "anno": ("y", 1), "anni": ("y", 1),
    },
    "es": {
        "segundo": ("s", 1), "segundos": ("s", 1), "minuto": ("min", 1), "minutos": ("min", 1),
        "min": ("min", 1), "hora": ("h", 1), "horas": ("h", 1), "h": ("h", 1),
        "día": ("d", 1), "días": ("d", 1), "dia": ("d", 1), "dias": ("d", 1),
        "semana": ("w", 1), "semanas": ("w", 1), "mes": ("mo", 1), "meses": ("mo", 1),
        "año": ("y", 1), "años": ("y", 1),
    },
    "ru": {
        "секунду": ("s", 1), "секунды": ("s", 1), "секунд": ("s", 1), "сек": ("s", 1),
        "минуту": ("min", 1), "минуты": ("min", 1), "минут": ("min", 1), "мин": ("min", 1),
        "час": ("h", 1), "часа": ("h", 1), "часов": ("h", 1), "ч": ("h", 1),
        "день": ("d", 1), "дня": ("d", 1), "дней": ("d", 1),
        "неделю": ("w", 1), "недели": ("w", 1), "недель": ("w", 1),
        "месяц": ("mo", 1), "месяца": ("mo", 1), "месяцев": ("mo", 1),
        "год": ("y", 1), "года": ("y", 1), "лет": ("y", 1),
    },
    "kk": {
        "секунд": ("s", 1), "минут": ("min", 1), "сағат": ("h", 1), "күн": ("d", 1),
        "апта": ("w", 1), "ай": ("mo", 1), "жыл": ("y", 1),
    },
    "ar": {
        "ثانيه": ("s", 1), "ثواني": ("s", 1), "ثوان": ("s", 1), "ثانيتين": ("s", 2),
        "دقيقه": ("min", 1), "دقائق": ("min", 1), "دقيقتين": ("min", 2), "دقيقتان": ("min", 2),
        "ساعه": ("h", 1), "ساعات": ("h", 1), "ساعتين": ("h", 2), "ساعتان": ("h", 2),
        "يوم": ("d", 1), "ايام": ("d", 1), "يومين": ("d", 2), "يومان": ("d", 2),
        "اسبوع": ("w", 1), "اسابيع": ("w", 1), "اسبوعين": ("w", 2), "اسبوعان": ("w", 2),
        "شهر": ("mo", 1), "اشهر": ("mo", 1), "شهور": ("mo", 1), "شهرين": ("mo", 2),
        "سنه": ("y", 1), "سنوات": ("y", 1), "سنتين": ("y", 2), "عام": ("y", 1),
        "اعوام": ("y", 1), "عامين": ("y", 2),
    },
    "pt": {
        "segundo": ("s", 1), "segundos": ("s", 1), "minuto": ("min", 1), "minutos": ("min", 1),
        "min": ("min", 1), "hora": ("h", 1), "horas": ("h", 1), "h": ("h", 1), "dia": ("d", 1),
        "dias": ("d", 1), "semana": ("w", 1), "semanas": ("w", 1), "mês": ("mo", 1),
        "meses": ("mo", 1), "ano": ("y", 1), "anos": ("y", 1),
    },
    "bs": {  # Bosnian, Croatian, Serbian (Latin script)
        "sekundu": ("s", 1), "sekunde": ("s", 1), "sekundi": ("s", 1), "minutu": ("min", 1),
        "minute": ("min", 1), "minuta": ("min", 1), "min": ("min", 1), "sat": ("h", 1),
        "sata": ("h", 1), "sati": ("h", 1), "dan": ("d", 1), "dana": ("d", 1),
        "sedmicu": ("w", 1), "sedmice": ("w", 1), "sedmica": ("w", 1), "tjedan": ("w", 1),
        "tjedna": ("w", 1), "tjedana": ("w", 1), "mjesec": ("mo", 1), "mjeseca": ("mo", 1),
        "mjeseci": ("mo", 1), "mesec": ("mo", 1), "meseca": ("mo", 1), "meseci": ("mo", 1),
        "godinu": ("y", 1), "godine": ("y", 1), "godina": ("y", 1),
    },
    "de": {
        "sekunde": ("s", 1), "sekunden": ("s", 1), "minute": ("min", 1), "minuten": ("min", 1),
        "min": ("min", 1), "stunde": ("h", 1), "stunden": ("h", 1), "std": ("h", 1),
        "tag": ("d", 1), "tagen": ("d", 1), "woche": ("w", 1), "wochen": ("w", 1),
        "monat": ("mo", 1), "monaten": ("mo", 1), "jahr": ("y", 1), "jahren": ("y", 1),
    },
}

# Words standing for the number one before a unit ("an hour ago", "il y a une heure").
ONE_WORDS = ("a", "an", "one", "un", "une", "una", "uno", "un'", "одну", "одна", "один", "бір",
             "um", "uma", "einer", "einem", "einen", "jedan", "jednu", "jednog")

# How each language wraps "<n> <unit>" to say "ago". {n} and {u} are filled by the grammar.
AGO_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (r"{n}\s*{u}\s+ago",),
    "fr": (r"il\s+y\s+a\s+{n}\s*{u}", r"depuis\s+{n}\s*{u}"),
    "it": (r"{n}\s*{u}\s+fa",),
    "es": (r"hace\s+{n}\s*{u}",),
    "ru": (r"{n}\s*{u}\s+назад",),
    "kk": (r"{n}\s*{u}\s+бұрын",),
    "ar": (r"(?:منذ|قبل)\s+(?:حوالي\s+|نحو\s+)?{n}\s*{u}",),
    "pt": (r"há\s+{n}\s*{u}", r"{n}\s*{u}\s+atrás"),
    "bs": (r"prije\s+{n}\s*{u}", r"pre\s+{n}\s*{u}"),
    "de": (r"vor\s+{n}\s*{u}",),
}

# Day words: spelling -> days relative to the fetch day.
DAY_WORDS: dict[str, dict[str, int]] = {
    "en": {"yesterday": -1, "today": 0},
    "fr": {"avant-hier": -2, "hier": -1, "aujourd'hui": 0, "aujourd’hui": 0},
    "it": {"l'altro ieri": -2, "altro ieri": -2, "ieri": -1, "oggi": 0},
    "es": {"anteayer": -2, "antes de ayer": -2, "ayer": -1, "hoy": 0},
    "ru": {"позавчера": -2, "вчера": -1, "сегодня": 0},
    "kk": {"кеше": -1, "бүгін": 0},
    "ar": {"اول امس": -2, "امس": -1, "البارحه": -1, "اليوم": 0},
    "pt": {"anteontem": -2, "ontem": -1, "hoje": 0},
    "bs": {"prekjučer": -2, "prekjuče": -2, "jučer": -1, "juče": -1, "danas": 0},
    "de": {"vorgestern": -2, "gestern": -1, "heute": 0},
}

# Words after which a second (modification) date follows: the time search stops there.
UPDATE_WORDS = (
    "updated", "last updated", "modified", "mis à jour", "mis a jour", "modifié", "actualisé",
    "aggiornato", "aggiornamento", "actualizado", "actualización", "обновлено", "изменено",
    "жаңартылды", "تحديث", "اخر تحديث", "عدل", "تعديل",
)

# Meridiem markers: spelling -> "am" | "pm" | "noon" (noon: hours 1-6 mean afternoon).
MERIDIEM: dict[str, str] = {
    "am": "am", "a.m.": "am", "a.m": "am", "pm": "pm", "p.m.": "pm", "p.m": "pm",
    "ص": "am", "صباحا": "am", "صباح": "am", "فجرا": "am",
    "م": "pm", "مساء": "pm", "مساءا": "pm", "عصرا": "pm", "ليلا": "pm", "ظهرا": "noon",
    "утра": "am", "ночи": "am", "дня": "pm", "вечера": "pm",
}

# Named zones -> UTC offset in minutes. Ambiguous ones (EST is French "est", AST Atlantic or
# Arabia) only count right after a time of day.
ZONES: dict[str, int] = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 60, "bst": 60, "cet": 60, "cest": 120,
    "eet": 120, "eest": 180, "msk": 180, "мск": 180, "edt": -240, "est": -300,
    "cdt": -300, "cst": -360, "mdt": -360, "mst": -420, "pdt": -420, "pst": -480,
    "غرينتش": 0, "غرينيتش": 0, "جرينتش": 0, "جرينيتش": 0, "مكه المكرمه": 180, "مكه": 180,
}
ZONES_AFTER_TIME_ONLY = frozenset({"z", "est", "cst", "mst", "edt", "cdt", "mdt", "west"})

# Numeric dates: which order a bare "03/04/2025" is read in. Everything not listed is D/M/Y.
MONTH_FIRST_LOCALES = frozenset({"en-US", "en-PH", "en-CA"})
