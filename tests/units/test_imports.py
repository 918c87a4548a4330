"""Import and export of units and people: all or nothing, idempotent, round-trips, formula-safe."""

from __future__ import annotations

import io
from importlib import resources

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from spokes.units import imports
from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.auth.models import Membership, User
from spokes.extensions import db
from spokes.units.models import Unit

AN_MINH = resources.files("spokes.units").joinpath("data/an-minh-2020-units.csv").read_bytes()


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _snapshot():
    units = db.session.execute(select(Unit).order_by(Unit.code)).scalars()
    return [(u.code, u.name, u.kind, u.parent_id, u.path, u.reference_prefix, u.approval_required, u.phone, u.email,
             u.address, u.portal_url, u.intake_overseer_id, u.is_active) for u in units]


def _upload(client, data: bytes, kind="units", dry_run=False, name="units.csv"):
    form = {"kind": kind, "file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/admin/import", data=form, content_type="multipart/form-data")


def _import_page(client, data: bytes, status: int, **upload) -> str:
    """Upload ``data`` on the import page; check the status it answers with and return the page."""
    response = _upload(client, data, **upload)
    assert response.status_code == status
    return response.get_data(as_text=True)


@pytest.fixture()
def root_admin(make_unit, make_user, login):
    """An admin of Kiên Giang (the root of the An Minh file), signed in."""
    kg = make_unit("KG", "Tỉnh Kiên Giang", kind="province")
    user = make_user("admin", kg, email="quantri@test.vn")
    login(user)
    return user


@pytest.fixture()
def an_minh(client, root_admin):
    """The An Minh unit tree, imported by the signed-in root admin."""
    _upload(client, AN_MINH)


def test_upload_the_an_minh_tree_then_again_changes_nothing(client, root_admin):
    html = _import_page(client, AN_MINH, 200)
    assert "tạo mới 25, cập nhật 1, không đổi 0" in html  # KG existed: its name is updated from the file
    assert _count(Unit) == 26
    vk = db.session.execute(select(Unit).where(Unit.code == "AM-VKD")).scalar_one()
    am = db.session.execute(select(Unit).where(Unit.code == "AM")).scalar_one()
    assert vk.parent_id == am.id and vk.path.startswith(am.path) and vk.depth == 2 and vk.reference_prefix == "AM-VKD"
    before, events = _snapshot(), _count(AuditEvent)
    again = _upload(client, AN_MINH)
    assert "tạo mới 0, cập nhật 0, không đổi 26" in again.get_data(as_text=True)
    assert _snapshot() == before and _count(AuditEvent) == events
    assert verify_chain()[1] is None


def test_one_bad_row_applies_nothing_and_names_the_row(client, root_admin):
    bad = AN_MINH.replace(b"AM-VKT,UBND x\xc3\xa3 V\xc3\xa2n Kh\xc3\xa1nh T\xc3\xa2y,commune",
                          b"AM-VKT,UBND x\xc3\xa3 V\xc3\xa2n Kh\xc3\xa1nh T\xc3\xa2y,village")
    assert bad != AN_MINH
    before = _snapshot()
    html = _import_page(client, bad, 400)
    assert "<td>27</td><td><code>kind</code></td>" in html and "Loại đơn vị không hợp lệ" in html
    assert "không có dữ liệu nào được ghi" in html
    assert _snapshot() == before


def test_unknown_parent_missing_column_and_cycle_are_reported(root_admin):
    cases = [
        (b"code,name,kind,parent_code\nX1,A,commune,NOWHERE\n", (2, "parent_code")),
        (b"code,name,kind\nX1,A,commune\n", (1, "parent_code")),
        (b"code,name,kind,parent_code\nX1,A,commune,X2\nX2,B,commune,X1\n", (2, "parent_code")),
        (b"code,name,kind,parent_code\nX1,A,commune,KG\nX1,B,commune,KG\n", (3, "code")),
        (b"code,name,kind,parent_code,reference_prefix\nX1,A,commune,KG,KG\n", (2, "reference_prefix")),
        (b"code,name,kind,parent_code,approval_required\nX1,A,commune,KG,maybe\n", (2, "approval_required")),
        (b"code,name,kind,parent_code,portal_url\nX1,A,commune,KG,ftp://x\n", (2, "portal_url")),
    ]
    for data, (row, column) in cases:
        report = imports.run_import(root_admin, "units", data)
        assert (row, column) in [(e.row, e.column) for e in report.errors], (data, report.errors)
        db.session.rollback()
    assert _count(Unit) == 1


def test_a_district_admin_cannot_import_outside_their_subtree(district, make_user):
    district_admin = make_user("admin", district["district"])
    report = imports.run_import(district_admin, "units", b"code,name,kind,parent_code\nX1,A,commune,HT\nKG,Renamed,province,\n")
    assert {(e.row, e.column) for e in report.errors} == {(2, "parent_code"), (3, "code")}
    ok = imports.run_import(district_admin, "units", b"code,name,kind,parent_code\nX1,A,commune,AM\nX2,B,hamlet,X1\n")
    assert ok.ok and ok.created == 2


def test_cli_import_dry_run_and_idempotence(runner, tmp_path, app):
    path = tmp_path / "units.csv"
    path.write_bytes(AN_MINH)
    dry = runner.invoke(args=["import-units", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "tạo mới 26" in dry.output and _count(Unit) == 0 and _count(AuditEvent) == 0
    real = runner.invoke(args=["import-units", str(path)])
    assert real.exit_code == 0 and _count(Unit) == 26
    again = runner.invoke(args=["import-units", str(path)])
    assert "tạo mới 0, cập nhật 0, không đổi 26" in again.output


def test_cli_reports_errors_row_by_row_and_exits_1(runner, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(AN_MINH + b"AM-XX,,commune,AM\n")
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 1
    assert "Dòng 28 cột “name”: Vui lòng nhập tên đơn vị." in result.output
    assert _count(Unit) == 0


def test_a_database_error_mid_way_rolls_everything_back(runner, tmp_path, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    real_set_parent = imports.set_parent
    calls = {"n": 0}

    def flaky(unit, parent):
        calls["n"] += 1
        if calls["n"] == 10:
            raise IntegrityError("INSERT", {}, Exception("simulated"))
        return real_set_parent(unit, parent)

    monkeypatch.setattr(imports, "set_parent", flaky)
    path = tmp_path / "units.csv"
    path.write_bytes(AN_MINH)
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 1 and "nothing applied" in result.output
    db.session.rollback()
    assert _count(Unit) == 0 and _count(AuditEvent) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(client, an_minh, fmt):
    kg = db.session.execute(select(Unit).where(Unit.code == "KG")).scalar_one()
    vk = db.session.execute(select(Unit).where(Unit.code == "AM-VK")).scalar_one()
    vk.phone, vk.email, vk.portal_url, vk.approval_required = "+84 297 3869 300", "vk@anminh.gov.vn", "https://vk.vn", False
    vk.address, vk.intake_overseer_id = "=1+1 ấp Kinh Tư", kg.id
    db.session.commit()
    response = client.get(f"/admin/export/units.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    if fmt == "csv":
        assert response.data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset said once
    before, events = _snapshot(), _count(AuditEvent)
    again = _upload(client, response.data, name=f"units.{fmt}")
    assert again.status_code == 200
    assert "tạo mới 0, cập nhật 0, không đổi 26" in again.get_data(as_text=True)
    assert _snapshot() == before and _count(AuditEvent) == events


def test_exports_guard_against_formula_injection(client, root_admin):
    kg = db.session.execute(select(Unit).where(Unit.code == "KG")).scalar_one()
    kg.name, kg.phone, kg.address = '=HYPERLINK("http://evil","x")', "+84 297", "@SUM(A1)"
    kg.email = "-x@evil.vn"
    db.session.commit()
    csv_text = client.get("/admin/export/units.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+84 297" in csv_text and "'@SUM(A1)" in csv_text and "'-x@evil.vn" in csv_text
    book = load_workbook(io.BytesIO(client.get("/admin/export/units.xlsx").data))
    row = [c.value for c in book.active[2]]
    assert row[1] == "'=HYPERLINK(\"http://evil\",\"x\")" and row[6] == "'+84 297"
    assert all(c.data_type != "f" for c in book.active[2])
    for value in ("=1", "+1", "-1", "@x", "\tx", "\rx"):
        assert imports.guard_cell(value) == "'" + value
        assert imports.unguard_cell(imports.guard_cell(value)) == value
    assert imports.guard_cell("AM-VK") == "AM-VK" and imports.guard_cell(None) == ""


def test_import_users_creates_accounts_with_temporary_passwords(client, an_minh):
    data = ("email,name,title,phone,unit_code,role\n"
            "Chutich.VK@anminh.vn,Huỳnh Văn Phúc,Chủ tịch UBND xã,0297 1,AM-VK,head\n"
            "chutich.vk@anminh.vn,Huỳnh Văn Phúc,Chủ tịch UBND xã,0297 1,AM-VKD,spokesperson\n"
            "vanthu.vk@anminh.vn,Lê Văn Thư,,,AM-VK,clerk\n").encode()
    html = _import_page(client, data, 200, kind="users")
    assert "tạo mới 2, cập nhật 0, không đổi 0" in html
    assert html.count('<code class="secret-value">') == 2
    chair = db.session.execute(select(User).where(User.email == "chutich.vk@anminh.vn")).scalar_one()
    assert chair.must_change_password and {m.role for m in chair.memberships} == {"head", "spokesperson"}
    again = _upload(client, data, kind="users")
    assert "tạo mới 0, cập nhật 0, không đổi 2" in again.get_data(as_text=True)
    # Export and import back: nothing changes.
    exported = client.get("/admin/export/users.xlsx").data
    events = _count(AuditEvent)
    back = _upload(client, exported, kind="users", name="users.xlsx")
    assert "tạo mới 0, cập nhật 0" in back.get_data(as_text=True) and _count(AuditEvent) == events


def test_import_users_bad_row_applies_nothing(client, an_minh):
    data = ("email,name,unit_code,role,password\n"
            "a@anminh.vn,A,AM-VK,head,mot-mat-khau-dai\n"
            "b@anminh.vn,B,AM-VK,chief,\n"
            "khong-phai-email,C,AM-NOPE,clerk,\n").encode()
    html = _import_page(client, data, 400, kind="users")
    for row, column in ((3, "role"), (4, "email"), (4, "unit_code")):
        assert f"<td>{row}</td><td><code>{column}</code></td>" in html
    assert _count(User) == 1 and _count(Membership) == 1


def test_cli_import_users_prints_passwords_once_and_dry_run_writes_nothing(runner, tmp_path, make_unit):
    make_unit("AM-VK")
    path = tmp_path / "users.csv"
    path.write_text("email;name;unit_code;role\nx@anminh.vn;Nguyễn X;AM-VK;clerk\n", encoding="utf-8")  # Excel's ';'
    dry = runner.invoke(args=["import-users", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Mật khẩu tạm thời" not in dry.output and _count(User) == 0
    real = runner.invoke(args=["import-users", str(path)])
    assert real.exit_code == 0 and "x@anminh.vn" in real.output and "Mật khẩu tạm thời" in real.output
    user = db.session.execute(select(User)).scalar_one()
    password = real.output.split("x@anminh.vn")[-1].split()[0]
    assert user.check_password(password) and user.must_change_password


def test_import_page_rejects_a_non_utf8_or_fake_xlsx(client, root_admin):
    latin = _upload(client, "code,name,kind,parent_code\nX,Vân,commune,KG\n".encode("cp1258"))
    assert latin.status_code == 400 and "UTF-8" in latin.get_data(as_text=True)
    fake = _upload(client, b"PK\x03\x04garbage", name="x.xlsx")
    assert fake.status_code == 400 and "Excel" in fake.get_data(as_text=True)



@pytest.mark.parametrize("data, name", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "units.xlsx"),  # a picture renamed
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xffcode,name\n", "units.csv"),  # a program renamed
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "units.csv"),
])
def test_a_file_that_is_neither_csv_nor_xlsx_is_named_as_such(client, root_admin, data, name):
    response = _upload(client, data, name=name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Chỉ nhận tệp CSV (UTF-8) hoặc Excel (.xlsx)." in page
    assert "Thiếu cột" not in page and "bảng mã UTF-8" not in page


# --------------------------------------------------------------------------- issue 17: import bombs


def _workbook_with_shared_strings(count: int, *, rows: int = 1) -> bytes:
    """Return a real XLSX whose sharedStrings.xml holds ``count`` strings (a decompression bomb)."""
    import zipfile
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["code", "name", "kind", "parent_code"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            if info.filename in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                continue
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and b"sharedStrings" not in content:
                content = content.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                          b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings'
                                          b'+xml"/></Types>')
            bomb.writestr(info.filename, content)
        with bomb.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                       f'count="{count}" uniqueCount="{count}">'.encode())
            chunk = b"<si><t>a</t></si>" * 10_000
            for _ in range(count // 10_000):
                part.write(chunk)
            part.write(b"</sst>")
        with bomb.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                       b"<sheetData>")
            for n in range(1, rows + 1):
                part.write(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'.encode())
            part.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_the_shared_string_bomb_is_refused_in_under_a_second(client, make_unit, make_user, login):
    """The review's bomb: about 200 KB, 5 million shared strings, dry-run by a commune's admin."""
    import time

    district = make_unit("AM", "Huyện An Minh", kind="district")
    commune = make_unit("AM-VK", "Xã Vân Khánh", parent=district)
    login(make_user("admin", commune, email="quantri.xa@test.vn"))
    bomb = _workbook_with_shared_strings(5_000_000)
    assert len(bomb) < 400_000, len(bomb)
    started = time.perf_counter()
    response = _upload(client, bomb, dry_run=True, name="bomb.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and "vượt quá" in response.get_data(as_text=True)
    assert elapsed < 1.0, elapsed


def test_too_many_shared_strings_or_rows_are_refused_before_parsing(monkeypatch):
    small_but_many = _workbook_with_shared_strings(imports.MAX_SHARED_STRINGS + 10_000)
    with pytest.raises(imports.TableError, match="chuỗi văn bản"):
        imports.read_table(small_but_many)
    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    many_rows = _workbook_with_shared_strings(10_000, rows=60)
    with pytest.raises(imports.TableError, match="quá 50 dòng"):
        imports.read_table(many_rows)
    # Under the limits, the same kind of file reads normally (streamed rows).
    columns, rows = imports.read_table(_workbook_with_shared_strings(10_000, rows=3))
    assert columns == ["a"] and len(rows) == 2
