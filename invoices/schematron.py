"""The official checks a plateforme agréée runs on a Factur-X (CII) document, run here first.

Two schematrons, vendored unmodified in `invoices/schematron/` (see its README): the European
norm's business rules (EN 16931: BR-*, BR-CO-*, BR-S-* …) and the French CTC rules for
invoices in flow 2 (BR-FR-*). A platform refuses (status 213, Rejetée) a document that fails
either; such a document was never issued in the eyes of the buyer and the tax authority.

They are compiled XSLT 2.0, which lxml (XSLT 1.0) cannot run: SaxonC-HE (`saxonche`) runs
them offline. The SVRL report they produce lists each `failed-assert`; one flagged "fatal",
or not flagged, is a rejection, a "warning" is not.

    failures = failed_rules(xml)     # every failed assertion, warnings included
    check_document(xml)              # raises DocumentRefused naming each fatal rule

Compiling the two stylesheets takes a fraction of a second and a few hundred MB, so it is
done once per process, on first use. SaxonC wants one processor per process and its
executables keep per-run state, so runs are serialised by a lock: a validation takes a few
milliseconds, a gunicorn thread or Celery worker waits that long at most. After a fork
(Celery's prefork pool, gunicorn's workers) the child builds its own processor.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

RULES_DIR = Path(__file__).resolve().parent / "schematron"
# The order the platform applies them: the norm first, then the French rules.
SCHEMATRONS = {
    "EN16931": RULES_DIR / "EN16931-CII-validation.xslt",
    "BR-FR": RULES_DIR / "BR-FR-Flux2-CII_V1.4.0.03.xslt",
}
SVRL = "http://purl.oclc.org/dsdl/svrl"
REJECTING_FLAGS = frozenset({"fatal", ""})


@dataclass(frozen=True)
class Failure:
    """One failed assertion: the rule's id (`BR-FR-12_BT-49`, `BR-CO-10`), its flag
    ("fatal", "warning"; "" when the rule has none), the rule's text, the XPath of the
    element it fired on, and the schematron it belongs to ("EN16931" or "BR-FR")."""

    rule: str
    flag: str
    text: str
    location: str
    schematron: str

    @property
    def is_fatal(self):
        return self.flag in REJECTING_FLAGS

    def __str__(self):
        return f"{self.rule}: {self.text}"


class DocumentRefused(ValueError):
    """The document fails a rule the platform rejects on; `.failures` lists the fatal ones."""

    def __init__(self, failures):
        self.failures = list(failures)
        super().__init__(
            "The document breaks the e-invoicing rules: "
            + "; ".join(str(failure) for failure in self.failures)
        )

    @property
    def rules(self):
        return [failure.rule for failure in self.failures]


class SchematronUnavailable(RuntimeError):
    """The stylesheets could not be compiled or run: not a verdict on the document."""


_lock = threading.Lock()
_compiled = {}  # pid -> (processor, {name: executable})


def _executables():
    """The processor and the compiled stylesheets of this process, compiled on first use.
    Called with the lock held."""
    pid = os.getpid()
    if pid not in _compiled:
        from saxonche import PySaxonApiError, PySaxonProcessor

        _compiled.clear()  # a parent's processor is not usable after a fork
        processor = PySaxonProcessor(license=False)
        compiler = processor.new_xslt30_processor()
        try:
            executables = {
                name: compiler.compile_stylesheet(stylesheet_file=str(path))
                for name, path in SCHEMATRONS.items()
            }
        except PySaxonApiError as err:
            raise SchematronUnavailable(f"the schematrons could not be compiled: {err}") from err
        _compiled[pid] = (processor, executables)
    return _compiled[pid]


def warm_up():
    """Compile the stylesheets now rather than on the first document (e.g. in a worker's
    start-up, or once per test session)."""
    with _lock:
        _executables()


def failed_rules(xml: bytes) -> list[Failure]:
    """Every assertion of both schematrons the CII XML fails, warnings included, in the
    schematrons' order. Raises SchematronUnavailable if Saxon cannot run them (the XML is
    not well-formed, for instance)."""
    from saxonche import PySaxonApiError

    if isinstance(xml, str):
        xml = xml.encode()
    reports = []
    with _lock:
        processor, executables = _executables()
        try:
            document = processor.parse_xml(xml_text=xml.decode("utf-8"))
            for name, executable in executables.items():
                reports.append((name, executable.transform_to_string(xdm_node=document)))
        except PySaxonApiError as err:
            raise SchematronUnavailable(f"the schematrons could not run: {err}") from err
    return [failure for name, report in reports for failure in _failures(report, name)]


def _failures(report, schematron):
    root = etree.fromstring(report.encode("utf-8"))
    return [
        Failure(
            rule=element.get("id", ""),
            flag=element.get("flag", ""),
            text=" ".join("".join(element.findtext(f"{{{SVRL}}}text") or "").split()),
            location=element.get("location", ""),
            schematron=schematron,
        )
        for element in root.iter(f"{{{SVRL}}}failed-assert")
    ]


def check_document(xml: bytes) -> list[Failure]:
    """Refuse the CII XML if it fails a fatal rule of either schematron, as the platform
    would: raises DocumentRefused naming each such rule and its text. Returns the warnings
    (which the platform accepts) otherwise."""
    failures = failed_rules(xml)
    fatal = [failure for failure in failures if failure.is_fatal]
    if fatal:
        raise DocumentRefused(fatal)
    return failures
