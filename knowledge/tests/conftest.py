import io
import zlib

import pytest

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from knowledge.choices import ArticleVisibility
from knowledge.tests.factories import ArticleFactory


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose text pypdf can extract (built by hand, no library)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = zlib.compress(
        f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_docx(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def editor(make_user):
    return make_user(Role.TECHNICIAN)


@pytest.fixture
def reader(make_user):
    """Staff without edit rights (sees published articles of every visibility)."""
    return make_user(Role.BILLING)


@pytest.fixture
def world(db, editor):
    """Two client companies and one published article of each visibility, plus a
    draft. Titles share the word "zebra" so one search finds them all."""
    company_a, company_b = (
        CompanyFactory(name="Alpha Ltd"),
        CompanyFactory(name="Beta Ltd"),
    )

    def article(title, visibility, companies=(), **kw):
        return ArticleFactory(
            title=title,
            body=f"The zebra procedure for {title}.",
            visibility=visibility,
            companies=companies,
            author=editor,
            **kw,
        )

    return {
        "a": company_a,
        "b": company_b,
        "internal": article("Internal zebra runbook", ArticleVisibility.INTERNAL),
        "portal": article("Portal zebra guide", ArticleVisibility.PORTAL),
        "only_a": article(
            "Alpha zebra notes", ArticleVisibility.COMPANIES, [company_a]
        ),
        "only_b": article("Beta zebra notes", ArticleVisibility.COMPANIES, [company_b]),
        "draft": article(
            "Draft zebra portal", ArticleVisibility.PORTAL, status="draft"
        ),
    }
