"""``flask letter``: write a request's official letter to a file, issuing it through the register."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from spokes.extensions import db
from spokes.press_requests.models import PressRequest


def register(app: Flask) -> None:
    """Attach the letters commands."""
    app.cli.add_command(letter)


@click.command("letter")
@click.argument("reference")
@click.option("--kind", required=True,
              type=click.Choice(["reply", "refusal", "acceptance", "measures", "conclusion", "correction"]))
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="FILE.docx or FILE.pdf")
@click.option("--draft", is_flag=True, help="An unnumbered preview: nothing is entered in the register.")
@click.option("--signer", "signer_email", default=None, help="E-mail of the signer (default: the unit's head).")
@click.option("--no-mail", is_flag=True, help="Do not e-mail the letter to the journalist.")
@with_appcontext
def letter(reference: str, kind: str, output: str, draft: bool, signer_email: str | None, no_mail: bool) -> None:
    """Write the letter of request REFERENCE (e.g. AM-DHU-2026-00012), numbered in the unit's register."""
    from spokes.core.errors import DomainError
    from spokes.letters import services
    from spokes.letters.models import LetterKind
    from spokes.letters.pdf import PdfUnavailable

    path = Path(output)
    if path.suffix.lower() not in (".docx", ".pdf"):
        raise click.BadParameter("the output must end in .docx or .pdf", param_hint="--output")
    as_pdf = path.suffix.lower() == ".pdf"
    req = db.session.execute(select(PressRequest).where(PressRequest.reference == reference.strip())).scalar_one_or_none()
    if req is None:
        raise click.ClickException(f"no request with reference {reference}")
    signers = services.signers_for(req.unit)
    if signer_email:
        signers = [u for u in signers if u.email.lower() == signer_email.strip().lower()]
        if not signers:
            raise click.ClickException(f"{signer_email} may not sign for {req.unit.name}")
    issuers = [u for u in services.signers_for(req.unit) if services.can_issue(u, req.unit)]
    if not signers or not issuers:
        raise click.ClickException(f"{req.unit.name} has no head to issue letters")
    signer = signers[0] if signer_email else (issuers[0])
    actor = signer if services.can_issue(signer, req.unit) else issuers[0]
    choices = services.default_choices(req, LetterKind(kind), signer)
    try:
        if draft:
            data = services.preview_pdf(req, choices) if as_pdf else services.preview_docx(req, choices)
            number = "(draft, unnumbered)"
        else:
            issued = services.issue(actor, req, choices, send=not no_mail)
            if as_pdf and issued.pdf is None:
                raise DomainError("this server cannot make PDFs (WeasyPrint needs the Pango library); "
                                  "the letter was not issued")
            data = issued.pdf if as_pdf else issued.docx
            number = issued.number_and_symbol + (f", signed by {issued.pdf_signer}" if as_pdf and issued.pdf_signer
                                                 else ", unsigned: no certificate is configured" if as_pdf else "")
    except (DomainError, PdfUnavailable) as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from err
    path.write_bytes(data)
    db.session.commit()
    click.echo(f"{number}: {path} ({len(data)} bytes)")
