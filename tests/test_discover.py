"""The directory walk: what is found, in what order, and linked files reported once."""

import os

import pytest

from hipaa_scan.scan.walk import discover, walk

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")


def _shown(targets):
    return [t.display for t in targets]


def _tree(root):
    for rel in ("a/Dockerfile", "a-b/compose.yaml", "a.c/.env", "a/b/compose.yml", "z.env", "A/Dockerfile",
                "a/b/c/d/Dockerfile", "node_modules/x/Dockerfile", "venv/compose.yaml", "notes.txt"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM scratch\n" if "Dockerfile" in rel else "services: {}\n")
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr\n")


def test_the_walk_comes_in_report_order_without_sorting(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    walked = [t.display for t, _place in walk(["."], (), [])]
    assert walked == ["A/Dockerfile", "a-b/compose.yaml", "a.c/.env", "a/Dockerfile", "a/b/c/d/Dockerfile",
                      "a/b/compose.yml", "z.env"]
    assert walked == sorted(walked)  # a directory's files compare as "name/...": after "a-b", "a.c"


def test_the_walk_tells_each_directory_its_compose_and_env_files(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    places = {t.display: place for t, place in walk(["."], (), [])}
    assert places["a/b/compose.yml"].names == {"compose.yml": "compose"}
    assert places["a/b/c/d/Dockerfile"].parent.parent is places["a/b/compose.yml"]
    assert places["a.c/.env"].names == {".env": "env"} and places["a/Dockerfile"].names == {}


def test_below_the_working_directory_display_paths_leave_it_and_are_sorted(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path / "a" / "b")
    found = _shown(discover([".."])[0])
    assert found == sorted(found) == [str(tmp_path / "a" / "Dockerfile"), "c/d/Dockerfile", "compose.yml"]


def test_a_linked_file_is_reported_once_under_the_name_the_walk_reaches_it_by(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "aaa").mkdir()  # walked before app/: the link comes first
    os.symlink("../app/Dockerfile", tmp_path / "aaa" / "Dockerfile")
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)  # never walked: reached through links only
    (tmp_path / "node_modules" / "pkg" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "b1").mkdir()
    (tmp_path / "b2").mkdir()
    os.symlink("../node_modules/pkg/Dockerfile", tmp_path / "b1" / "Dockerfile")
    os.symlink("../node_modules/pkg/Dockerfile", tmp_path / "b2" / "Dockerfile")
    monkeypatch.chdir(tmp_path)
    assert _shown(discover(["."])[0]) == ["app/Dockerfile", "b1/Dockerfile"]
    # excluded by the user: the walk does not reach app/Dockerfile, so the link is scanned in its place
    assert _shown(discover(["."], ("app",))[0]) == ["aaa/Dockerfile", "b1/Dockerfile"]


def test_a_file_given_twice_or_under_two_paths_is_scanned_once(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    one = _shown(discover(["."])[0])
    assert _shown(discover([".", "a", "a/Dockerfile", os.path.join(str(tmp_path), "z.env")])[0]) == one


def test_a_directory_that_cannot_be_listed_is_an_error_and_the_walk_goes_on(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    real = os.scandir

    def scandir(path):  # as an unreadable directory does for a user other than root
        if isinstance(path, str) and os.path.normpath(path) == os.path.join("a", "b"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    targets, errors = discover(["."])
    assert [(e.path, e.message) for e in errors] == [("a/b", "cannot list directory: Permission denied")]
    assert _shown(targets) == ["A/Dockerfile", "a-b/compose.yaml", "a.c/.env", "a/Dockerfile", "z.env"]
