"""The question bank as a file: export to JSON or CSV, import either, all or nothing.

One record shape (``records.QuestionRecord``) sits between the files and the database:
``formats`` reads a file into records (with the line each starts on), ``records``
checks them, ``store`` writes them and ``export`` reads them back out. Exporting and
importing the result changes nothing, which is how the bank can live in a file
(``content/questions.json``) and in the admin at the same time.
"""

from .export import export_csv, export_json
from .store import BankError, ImportReport, import_text

__all__ = ["BankError", "ImportReport", "export_csv", "export_json", "import_text"]
