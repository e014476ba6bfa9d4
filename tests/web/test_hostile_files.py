"""Hostile upload files are refused while they are read, before the memory or the
time is spent, with a 400 and a stable code — on every reader (work-order imports
via the web form, opinion imports, survey imports)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from griddesk.common.errors import InvalidInput
from griddesk.imports import files
from griddesk.imports.models import ImportJob
from griddesk.opinion.models import OpinionItem
from griddesk.satisfaction import defaults
from griddesk.satisfaction.models import SurveyImport

from .. import hostile_files as hostile

MB = 1024 * 1024
# Time bounds are loose (the test machine is shared and tracemalloc slows allocation);
# before the fix these files took minutes or hundreds of MB.


def read_all(name: str, data: bytes, seconds: float = 5.0) -> tuple[list[tuple[int, list[str]]], float, int]:
    """Every record of the file through the shared reader → (records, seconds taken,
    peak bytes allocated). Fails instead of hanging when reading takes too long."""
    tracemalloc.start()
    started = time.perf_counter()
    out: list[tuple[int, list[str]]] = []
    try:
        _fmt, rows = files.records(name, data)
        for row in rows:
            out.append(row)
            if time.perf_counter() - started > seconds:
                pytest.fail(f"still reading after {seconds} s ({len(out)} rows)")
        return out, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(name: str, data: bytes, *, trace: bool = True) -> tuple[InvalidInput, float, int]:
    """The refusal of the file by the shared reader → (error, seconds taken, peak bytes
    allocated; tracemalloc slows allocation down, so ``trace=False`` for timings)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InvalidInput) as caught:
            _fmt, rows = files.records(name, data)
            for _n, _row in rows:
                if time.perf_counter() - started > 10:
                    pytest.fail("still reading after 10 s")
        return caught.value, time.perf_counter() - started, tracemalloc.get_traced_memory()[1] if trace else 0
    finally:
        if trace:
            tracemalloc.stop()


@pytest.fixture(scope="module")
def cells_32m() -> bytes:
    """2,000 rows × 16,000 columns = 32M cells, about 512 MB of sheet XML in a ~1 MB file."""
    return hostile.xlsx(hostile.wide_rows(2_000, 16_000))


@pytest.fixture(scope="module")
def huge_string() -> bytes:
    """One shared string of 150 M characters in a file of a few hundred KB."""
    return hostile.xlsx(hostile.cell_with_string(), hostile.one_huge_string(150 * MB))


# ------------------------------------------------------------------ the reader


def test_a_32m_cell_workbook_is_refused_at_once(cells_32m):
    assert len(cells_32m) < 2 * MB
    exc, seconds, peak = refused("bomb.xlsx", cells_32m)
    assert exc.code == "file_decompressed_too_large" and exc.field == "file"
    assert "100 MB" in exc.message
    assert seconds < 2 and peak < 5 * MB, (seconds, peak)


def test_a_32m_cell_workbook_is_stopped_by_the_column_limit_while_streaming(cells_32m, settings):
    settings.FILE_MAX_DECOMPRESSED_BYTES = 10**12  # only the streaming checks stand in the way
    exc, seconds, peak = refused("bomb.xlsx", cells_32m)
    assert exc.code == "file_too_many_columns", exc.message
    assert seconds < 3 and peak < 5 * MB, (seconds, peak)


def test_rows_are_counted_while_streaming(settings):
    data = hostile.xlsx(hostile.wide_rows(150_000, 1, refs=True))
    exc, seconds, _peak = refused("rows.xlsx", data, trace=False)
    assert exc.code == "file_too_many_rows" and "100000" in exc.message
    assert seconds < 10, seconds  # (about 1 s on an idle machine)
    settings.FILE_MAX_ROWS = 10_000
    exc, _seconds, peak = refused("rows.xlsx", data)
    assert exc.code == "file_too_many_rows" and peak < 5 * MB, peak  # rows are not kept by the reader
    settings.FILE_MAX_ROWS = 150_000
    rows = list(files.records("rows.xlsx", data)[1])
    assert len(rows) == 150_000 and rows[-1] == (150_000, ["1"])


def test_cells_and_elements_are_counted_while_streaming(settings):
    assert django_settings.FILE_MAX_CELLS == 2_000_000
    settings.FILE_MAX_CELLS = 10_000
    exc, _seconds, peak = refused("cells.xlsx", hostile.xlsx(hostile.wide_rows(200, 100)))  # 20,000 cells
    assert exc.code == "file_too_many_cells" and "10000" in exc.message and peak < 5 * MB
    # Elements that are not cells cost a parser call each too.
    settings.FILE_MAX_ROWS = 1_000
    exc, _seconds, _peak = refused("junk.xlsx", hostile.xlsx(["<sheetData>", "<x/>" * 100_000, "</sheetData>"]))
    assert exc.code == "file_invalid"
    exc, _seconds, _peak = refused("junk.xlsx", hostile.xlsx(["<sheetData/>"], ["<x/>" * 100_000]))
    assert exc.code == "file_invalid"
    exc, _seconds, _peak = refused("cells.csv", ("1," * 29 + "1\n").encode() * 500)  # 15,000 cells
    assert exc.code == "file_too_many_cells"


def test_a_sheet_that_lies_about_its_dimension_is_not_padded_out():
    data = hostile.xlsx(hostile.lying_dimension(2_000))  # claims 2,000 × 16,384 = 32M cells
    rows, seconds, peak = read_all("dim.xlsx", data)
    assert rows[:2] == [(1, ["1"]), (2, ["2"])] and len(rows) == 2_000
    assert max(len(values) for _n, values in rows) == 1
    assert seconds < 5 and peak < 5 * MB, (seconds, peak)


def test_a_huge_shared_string_is_refused_before_it_is_built(huge_string, settings):
    assert len(huge_string) < 1 * MB
    exc, seconds, peak = refused("strings.xlsx", huge_string)
    assert exc.code == "file_decompressed_too_large"
    assert seconds < 2 and peak < 5 * MB, (seconds, peak)
    # Even when the unpacked size is allowed, the string stops at the cell limit.
    settings.FILE_MAX_DECOMPRESSED_BYTES = 10**12
    exc, seconds, peak = refused("strings.xlsx", huge_string)
    assert exc.code == "file_cell_too_long" and "20000" in exc.message
    assert seconds < 3 and peak < 5 * MB, (seconds, peak)


def test_a_zip_whose_header_understates_the_size_is_refused(huge_string):
    liar = hostile.lie_about_size(huge_string, hostile.STRINGS, 1_000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(liar)).infolist()) < 10_000
    exc, seconds, peak = refused("liar.xlsx", liar)
    assert exc.code == "file_invalid"
    assert seconds < 3 and peak < 5 * MB, (seconds, peak)


def test_a_workbook_with_a_dtd_is_refused():
    laughs = hostile.xlsx(['<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>'],
                          ["<si><t>&lol9;</t></si>"])
    doctype = '<!DOCTYPE sst [<!ENTITY lol "lol"><!ENTITY lol9 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    src = zipfile.ZipFile(io.BytesIO(laughs))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == hostile.STRINGS:
                body = body.replace(b"<sst ", doctype.encode() + b"<sst ", 1)
            zf.writestr(info.filename, body)
    exc, _s, _p = refused("laughs.xlsx", out.getvalue())
    assert exc.code == "file_invalid"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (("a," * 201 + "\n1\n").encode(), "file_too_many_columns"),
        (("a,b\n1," + "x" * 20_001 + "\n").encode(), "file_cell_too_long"),
        (("a,b\n1,\"" + "x" * 200_000 + "\"\n").encode(), "file_cell_too_long"),  # beyond the csv module's own limit
        (("a\n" + "1\n" * 100_001).encode(), "file_too_many_rows"),
    ],
)
def test_csv_limits(data, code):
    exc, seconds, _peak = refused("x.csv", data, trace=False)
    assert exc.code == code, exc.message
    assert seconds < 5


def test_a_file_within_every_limit_is_read():
    data = ("a,b\n1," + "x" * 20_000 + "\n").encode()
    rows, _s, _p = read_all("x.csv", data)
    assert rows[1] == (2, ["1", "x" * 20_000])
    book = hostile.xlsx(['<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="GR1"><v>-2.5</v></c></row></sheetData>'],
                        ["<si><t>" + "字" * 20_000 + "</t></si>"])
    rows, _s, _p = read_all("x.xlsx", book)
    assert rows[0][1][0] == "字" * 20_000 and len(rows[0][1]) == 200 and rows[0][1][-1] == "-2.5"


# ------------------------------------------------------------------ the web form and the APIs


def test_web_import_form_has_the_api_size_limit(web):
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert django_settings.FILE_MAX_BYTES == limit
    header = ",".join(["external_id", "channel", "type", "category", "content", "received_at"]) + "\n"
    line = "E{:05d},95598,complaint,," + "电" * 150 + ",2026-01-01 08:00\n"
    body = header + "".join(line.format(i) for i in range(19_000))
    data = body.encode()
    assert limit < len(data) < 2 * limit and body.count("\n") < 20_000  # under the row limit, over the size limit
    r = web("agent").post("/imports/", {"file": SimpleUploadedFile("big.csv", data)})
    assert r.status_code == 400
    page = r.content.decode()
    assert 'data-code="file_too_large"' in page and "文件大于 8 MB" in page, page[page.find("upload-error"):][:300]
    assert not ImportJob.objects.exists()


def test_web_import_form_refuses_a_bomb_with_a_code(web, cells_32m):
    started = time.perf_counter()
    r = web("agent").post("/imports/", {"file": SimpleUploadedFile("bomb.xlsx", cells_32m)})
    assert time.perf_counter() - started < 2
    assert r.status_code == 400 and 'data-code="file_decompressed_too_large"' in r.content.decode()
    assert not ImportJob.objects.exists()


def _wide(columns: int = 16_000, rows: int = 5) -> bytes:
    return hostile.xlsx(hostile.wide_rows(rows, columns, refs=True))


def test_opinion_import_api_and_page_refuse_a_wide_sheet(client_for, web):
    r = client_for("marketing").post("/api/v1/opinion/items/import/", {"file": SimpleUploadedFile("w.xlsx", _wide())},
                                     format="multipart")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "file_too_many_columns" and body["errors"]["file"][0]["code"] == "file_too_many_columns"
    assert "200" in body["message"]
    page = web("specialist").post("/opinion/import/", {"file": SimpleUploadedFile("w.xlsx", _wide())})
    assert page.status_code == 400 and 'data-code="file_too_many_columns"' in page.content.decode()
    assert not OpinionItem.objects.exists()


def test_survey_import_api_refuses_a_huge_string(client_for, huge_string):
    url = f"/api/v1/satisfaction/questionnaires/{defaults.DEFAULT_CODE}/import/"
    r = client_for("manager").post(url, {"file": SimpleUploadedFile("s.xlsx", huge_string)}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "file_decompressed_too_large", r.content
    assert not SurveyImport.objects.exists()


def test_read_upload_refuses_by_size_before_reading():
    class Upload:
        size = django_settings.FILE_MAX_BYTES + 1
        name = "x.csv"

        def read(self, *_a: Any) -> bytes:
            raise AssertionError("read although too large")

    with pytest.raises(InvalidInput) as caught:
        files.read_upload(Upload())
    assert caught.value.code == "file_too_large"

