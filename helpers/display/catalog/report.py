"""The report frame: header, month index and archive (English)."""

MESSAGES = {
    "header.project": "Project",
    "header.month": "Month",
    "header.as_of": "as of",
    "header.data_window": "Data window",
    "header.window": "{start:date} .. {end:date}",
    "header.no_data": "no data",
    "header.timezone": "Timezone",
    "header.as_configured": "(as configured)",
}

COLUMNS = {}
