"""The issued letter as PDF: rendered with WeasyPrint from the same text as the DOCX, and signed.

- Rendering: WeasyPrint lays out ``templates/letters/letter_pdf.html`` (A4, the NĐ 30/2020
  margins, Times New Roman or its metric twin Liberation Serif) and embeds the fonts it
  uses, so Vietnamese text reads the same on any machine. WeasyPrint needs the Pango
  library of the operating system; where it is missing, ``PdfUnavailable`` says so and the
  letter is issued as DOCX only.
- Signing: a PAdES signature (pyHanko) with a visible block on the last page, made with the
  unit's certificate, a PKCS#12 file named in the configuration (``LETTER_CERTIFICATES`` in
  ``instance/config.py``, or ``SPOKES_LETTER_CERT_<CODE>`` and
  ``SPOKES_LETTER_CERT_PASSPHRASE_<CODE>`` in the environment); never in the database.
- Verifying: the signature's integrity and the signer's certificate against the trust roots
  configured in ``LETTER_TRUST_ROOTS`` (PEM files); a tampered file fails.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from spokes.letters.layout import MOTTO, NATIONAL_TITLE, LetterText, copy_lines, date_line, number_line

# Fonts for the visible signature block, which must draw Vietnamese letters.
STAMP_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)


class PdfUnavailable(RuntimeError):
    """This server cannot make PDFs (WeasyPrint or its system libraries are missing)."""


@dataclass(frozen=True)
class Certificate:
    """Where a unit's signing certificate is, and its passphrase."""

    path: Path
    passphrase: bytes | None


@dataclass(frozen=True)
class Verification:
    """What a signature check found."""

    signed: bool
    intact: bool = False
    trusted: bool = False
    signer: str | None = None
    signed_at: datetime | None = None
    summary: str = ""

    @property
    def valid(self) -> bool:
        """Tell whether the file is untouched since signing and signed by a trusted certificate."""
        return self.signed and self.intact and self.trusted


def render_pdf(letter: LetterText, *, unsigned_note: bool = False) -> bytes:
    """Return the letter as a PDF with embedded fonts; ``unsigned_note`` prints that it is not signed digitally."""
    try:
        with warnings.catch_warnings():
            # WeasyPrint warns at import when the system lacks HarfBuzz-Subset (a future requirement);
            # that is about the server's packages, not this code, and must not stop a letter.
            warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
            from weasyprint import HTML
    except (ImportError, OSError) as err:  # OSError: Pango is not installed
        raise PdfUnavailable(str(err)) from err
    copies = copy_lines(letter.copies_to)
    html = render_template("letters/letter_pdf.html", letter=letter, number_line=number_line(letter.number_and_symbol),
                           date_line=date_line(letter.place_name, letter.issued_on), national_title=NATIONAL_TITLE,
                           motto=MOTTO, copies=copies, unsigned_note=unsigned_note)
    return HTML(string=html).write_pdf()


def _env_key(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", code).upper()


def certificate_for(unit_code: str) -> Certificate | None:
    """Return the configured signing certificate of a unit, if any."""
    env_path = os.environ.get(f"SPOKES_LETTER_CERT_{_env_key(unit_code)}")
    if env_path:
        passphrase = os.environ.get(f"SPOKES_LETTER_CERT_PASSPHRASE_{_env_key(unit_code)}")
        return Certificate(Path(env_path), passphrase.encode() if passphrase else None)
    entry = (current_app.config.get("LETTER_CERTIFICATES") or {}).get(unit_code)
    if not entry:
        return None
    passphrase = entry.get("passphrase")
    return Certificate(Path(entry["pkcs12"]), passphrase.encode() if isinstance(passphrase, str) else passphrase)


def _stamp_style() -> Any:
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    font = next((f for f in STAMP_FONTS if os.path.exists(f)), None)
    if font is None:  # the built-in font draws Latin letters only
        return TextStampStyle(stamp_text="Signed by: %(signer)s\nTime: %(ts)s")
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class _FontFromMemory(GlyphAccumulatorFactory):
        """pyHanko's factory leaves the font file open; read it whole and close it at once instead."""

        def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
            with open(self.font_file, "rb") as fh:
                handle = io.BytesIO(fh.read())
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=handle, font_size=self.font_size,
                                    ot_script_tag=self.ot_script_tag, ot_language_tag=self.ot_language_tag,
                                    writing_direction=self.writing_direction, bcp47_lang_code=self.bcp47_lang_code,
                                    obj_stream=obj_stream)

    return TextStampStyle(stamp_text="Ký bởi: %(signer)s\nThời gian ký: %(ts)s",
                          text_box_style=TextBoxStyle(font=_FontFromMemory(font), font_size=7),
                          timestamp_format="%d/%m/%Y %H:%M")


def sign_pdf(pdf: bytes, certificate: Certificate, *, reason: str, location: str) -> tuple[bytes, str]:
    """Sign a PDF as PAdES with a visible signature block at the foot of its last page.

    Return the signed file and the certificate's subject.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12(str(certificate.path), passphrase=certificate.passphrase)
    if signer is None:
        raise ValueError(f"cannot read the certificate {certificate.path}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # A4 is 595 × 842 points: a box in the right column, above the bottom margin.
    fields.append_signature_field(writer, fields.SigFieldSpec("Chu_ky_so", box=(300, 50, 565, 110), on_page=-1))
    meta = signers.PdfSignatureMetadata(field_name="Chu_ky_so", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, stamp_style=_stamp_style()).sign_pdf(writer, output=out)
    return out.getvalue(), signer.signing_cert.subject.human_friendly


def verify_pdf(pdf: bytes, trust_roots: list[bytes] | None = None) -> Verification:
    """Check every signature of a PDF; the result speaks of the last one."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as err:  # noqa: BLE001 - any unreadable file is simply "not a valid signed PDF"
        return Verification(signed=False, summary=f"unreadable: {err}")
    if not signatures:
        return Verification(signed=False, summary="no signature")
    roots = []
    for data in trust_roots if trust_roots is not None else _configured_roots():
        der = pem.unarmor(data)[2] if pem.detect(data) else data
        roots.append(x509.Certificate.load(der))
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception as err:  # noqa: BLE001 - a damaged signature is an invalid one, never a crash
        return Verification(signed=True, summary=f"invalid: {err}")
    subject = status.signing_cert.subject.human_friendly if status.signing_cert is not None else None
    # Untouched: the digest matches, the signature is sound, and it covers the whole file (no
    # revision was appended after signing).
    intact = bool(status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    return Verification(signed=True, intact=intact, trusted=bool(status.trusted),
                        signer=subject, signed_at=status.signer_reported_dt, summary=status.summary())


def _configured_roots() -> list[bytes]:
    return [Path(p).read_bytes() for p in current_app.config.get("LETTER_TRUST_ROOTS") or []]
