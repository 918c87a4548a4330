"""The letter as PDF: the layout a person can look at, a PAdES signature, and tampering caught."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from spokes.extensions import db
from spokes.letters import pdf as letter_pdf
from spokes.letters import services
from spokes.letters.models import Letter, LetterKind

pytest.importorskip("weasyprint")
PROJECT = Path(__file__).resolve().parents[2]
IMAGES = PROJECT / "ci-output" / "letters"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND xã Đông Hưng"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA and a unit certificate signed by it, as PEM and PKCS#12 files."""
    folder = tmp_path_factory.mktemp("pki")
    start = datetime(2020, 1, 1, tzinfo=UTC)  # fixed dates, far on both sides of any run
    end = datetime(2060, 1, 1, tzinfo=UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("Spokes Test CA")).issuer_name(_name("Spokes Test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name("Nguyễn Văn Hải")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "unit.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"unit", key, cert, [ca], serialization.BestAvailableEncryption(b"mat-khau")))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = (x509.CertificateBuilder().subject_name(_name("Người lạ")).issuer_name(_name("Người lạ"))
             .public_key(other_key.public_key()).serial_number(3).not_valid_before(start).not_valid_after(end)
             .sign(other_key, hashes.SHA256()))
    (folder / "stranger.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"x", other_key, other, None, serialization.NoEncryption()))
    return {"ca": folder / "ca.pem", "p12": folder / "unit.p12", "stranger": folder / "stranger.p12"}


def _issue(world: dict[str, Any], req: Any) -> Letter:
    letter = services.issue(world["chair"], req, services.default_choices(req, LetterKind.REPLY, world["chair"]))
    db.session.commit()
    return letter


def _configure(app: Any, pki: dict[str, Path]) -> None:
    app.config["LETTER_CERTIFICATES"] = {"AM-DHU": {"pkcs12": str(pki["p12"]), "passphrase": "mat-khau"}}
    app.config["LETTER_TRUST_ROOTS"] = [str(pki["ca"])]


def test_unsigned_pdf_says_so_and_shows_the_layout(app, world, answered):
    letter = _issue(world, answered)
    assert letter.pdf.startswith(b"%PDF-") and letter.pdf_signer is None
    assert letter_pdf.verify_pdf(letter.pdf).signed is False
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=letter.pdf, capture_output=True,
                              check=True).stdout.decode()
        for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 01/UBND-VP",
                         "ngày 03 tháng 12 năm 2026", "chưa được ký số"):
            assert expected in text, expected
        fonts = subprocess.run(["pdffonts", "-"], input=letter.pdf, capture_output=True, check=True).stdout.decode()
        assert all(" yes " in line for line in fonts.splitlines()[2:]), fonts  # every font embedded
    if shutil.which("pdftoppm"):  # page images for a person to look at (ci-output/letters/)
        IMAGES.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(IMAGES / "reply-unsigned")], input=letter.pdf,
                       check=True)
        assert (IMAGES / "reply-unsigned-1.png").stat().st_size > 5000


def test_a_configured_certificate_signs_as_pades_and_tampering_fails(app, world, answered, pki):
    _configure(app, pki)
    letter = _issue(world, answered)
    assert letter.pdf_signer and "Nguyễn Văn Hải" in letter.pdf_signer
    check = letter_pdf.verify_pdf(letter.pdf)
    assert check.valid, check.summary
    # Unknown roots: intact but not trusted.
    assert not letter_pdf.verify_pdf(letter.pdf, trust_roots=[]).trusted
    # One byte changed inside the signed range: the digest no longer matches.
    position = letter.pdf.index(b"/Type /Page") if b"/Type /Page" in letter.pdf else 200
    tampered = letter.pdf[:position] + bytes([letter.pdf[position] ^ 0x01]) + letter.pdf[position + 1:]
    assert not letter_pdf.verify_pdf(tampered).valid
    # A revision appended after signing: intact digest, but the signature no longer covers the file.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(letter.pdf))
    writer.root["/Lang"] = writer.root.get("/Lang") or __import__("pyhanko.pdf_utils.generic", fromlist=["x"]).TextStringObject("vi")
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    assert not letter_pdf.verify_pdf(appended.getvalue()).valid
    if shutil.which("pdftoppm"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(IMAGES / "reply-signed")], input=letter.pdf,
                       check=True)


def test_a_signed_copy_is_kept_only_if_its_signature_holds(app, world, answered, pki, client_for):
    letter = _issue(world, answered)  # issued unsigned: no certificate configured yet
    app.config["LETTER_TRUST_ROOTS"] = [str(pki["ca"])]
    signed, _subject = letter_pdf.sign_pdf(letter.pdf, letter_pdf.Certificate(pki["p12"], b"mat-khau"),
                                           reason="test", location="Đông Hưng")
    stranger, _ = letter_pdf.sign_pdf(letter.pdf, letter_pdf.Certificate(pki["stranger"], None),
                                      reason="test", location="x")
    staff = client_for(world["chair"])
    url = f"/staff/letters/{letter.id}/signed-copy"

    def upload(client: Any, data: bytes) -> Any:
        return client.post(url, data={"file": (io.BytesIO(data), "ky-so.pdf")}, content_type="multipart/form-data")

    assert upload(client_for(world["clerk"]), signed).status_code == 403
    for bad in (b"not a pdf", letter.pdf, stranger, signed[:-2000] + signed[-2000:].replace(b"0", b"1", 1)):
        assert upload(staff, bad).status_code == 303
        db.session.expire_all()
        assert db.session.get(Letter, letter.id).pdf_uploaded_at is None
    assert upload(staff, signed).status_code == 302
    db.session.expire_all()
    stored = db.session.execute(select(Letter)).scalar_one()
    assert stored.pdf == signed and "Nguyễn Văn Hải" in stored.pdf_signer and stored.pdf_uploaded_at is not None
    page = staff.get(f"/staff/letters/request/{answered.id}").get_data(as_text=True)
    assert "Chữ ký số hợp lệ" in page
    assert staff.get(f"/staff/letters/{letter.id}.pdf").data == signed


def test_cli_writes_a_pdf(app, world, answered, runner, tmp_path, pki):
    _configure(app, pki)
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["letter", answered.reference, "--kind", "reply", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "01/UBND-VP" in result.output and "signed by" in result.output
    assert letter_pdf.verify_pdf(out.read_bytes()).valid
