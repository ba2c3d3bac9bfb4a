"""The directory walk: ``.gitignore`` (nested files, ``.git/info/exclude``, negation, anchoring, ``**``)
decides exactly as git does (checked against ``git ls-files`` of a real repository), virtual environments
and ``.git`` are skipped, and a file named explicitly is always read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import cli, scan_json, write

from llmlint.sources.files import MANIFEST_SUFFIXES, discover
from llmlint.sources.gitignore import parse_line

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{a: b}}\n"

FILES = [
    "a.yaml",
    "b.yml",
    "c.json",
    "build/out.yaml",
    "build/keep/k.yaml",
    "docs/x.yaml",
    "docs/sub/x.yaml",
    "src/app/deploy.yaml",
    "src/app/deploy.yml",
    "src/app/tmp/t.yaml",
    "src/lib/tmp/t.yaml",
    "deep/a/b/c/generated.yaml",
    "deep/a/b/c/kept.yaml",
    "logs/2024/x.yaml",
    "space /name .yaml",
    "#hash.yaml",
    "!bang.yaml",
    "[x].yaml",
    "q1.yaml",
    "q22.yaml",
    "nested/.gitignore-owner/n.yaml",
    "nested/n.yaml",
    "nested/inner/skip.yaml",
    "nested/inner/stay.yaml",
    "charts/values-prod.yaml",
    "charts/values-dev.yaml",
]

ROOT_IGNORE = """\
# comments and blank lines

build/
!build/keep/
*.yml
!src/app/deploy.yml
/docs/x.yaml
src/**/tmp/
deep/**/generated.yaml
logs/**
\\#hash.yaml
\\!bang.yaml
\\[x\\].yaml
q?.yaml
charts/values-*.yaml
!charts/values-dev.yaml
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for f in FILES:
        write(
            tmp_path,
            f,
            CM.format(
                name=Path(f)
                .stem.strip()
                .lower()
                .replace("#", "h")
                .replace("!", "b")
                .replace("[", "")
                .replace("]", "")
                or "x"
            ),
        )
    write(tmp_path, ".gitignore", ROOT_IGNORE)
    write(tmp_path, "nested/.gitignore", "skip.yaml\n/n.yaml\n")
    write(tmp_path, "nested/inner/.gitignore", "!skip.yaml\n")  # a deeper file re-includes
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("c.json\n")
    return tmp_path


def _git_view(repo: Path) -> set[str]:
    out = _git(repo, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    return {p for p in out.split("\0") if p.endswith(MANIFEST_SUFFIXES)}


def _walk(repo: Path, top: str = ".") -> set[str]:
    got = set()
    for ref in discover([top], cwd=str(repo)):
        assert not hasattr(ref, "message"), ref
        got.add(ref.name)  # type: ignore[union-attr]
    return got


def test_walk_ignores_exactly_what_git_ignores(repo: Path) -> None:
    old = os.getcwd()
    os.chdir(repo)
    try:
        expected = _git_view(repo)
        assert _walk(repo) == expected
    finally:
        os.chdir(old)
    # the fixture is not trivial: both kinds of decision are exercised
    assert {"a.yaml", "src/app/deploy.yml", "charts/values-dev.yaml"} <= expected
    assert "nested/inner/skip.yaml" in expected  # re-included by a deeper .gitignore
    ignored = {
        "b.yml",
        "c.json",
        "build/out.yaml",
        "build/keep/k.yaml",  # inside an ignored directory: "!build/keep/" cannot re-include it
        "docs/x.yaml",
        "src/app/tmp/t.yaml",
        "deep/a/b/c/generated.yaml",
        "logs/2024/x.yaml",
        "#hash.yaml",
        "!bang.yaml",
        "[x].yaml",
        "q1.yaml",
        "charts/values-prod.yaml",
        "nested/n.yaml",
    }
    assert not ignored & expected, ignored & expected
    assert "docs/sub/x.yaml" in expected and "q22.yaml" in expected
    assert "nested/.gitignore-owner/n.yaml" in expected  # "/n.yaml" is anchored to its .gitignore's directory


def test_walk_from_a_subdirectory_reads_the_parents_gitignore(repo: Path) -> None:
    old = os.getcwd()
    os.chdir(repo / "src")
    try:
        got = {ref.name for ref in discover(["."], cwd=str(repo / "src"))}  # type: ignore[union-attr]
    finally:
        os.chdir(old)
    assert got == {"app/deploy.yaml", "app/deploy.yml"}


def test_the_scan_skips_venvs_git_and_ignored_trees(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "k8s/cm.yaml", CM.format(name="real"))
    # a CI clone's virtual environment under an unusual name, with a dependency's broken JSON
    write(tmp_path, ".ci-venv/lib/python3.11/site-packages/pkg/data.json", "{not json")
    write(tmp_path, "env2/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "env2/lib/bad.yaml", "kind: [\n")
    write(tmp_path, "node_modules/x/bad.yaml", "kind: [\n")
    write(tmp_path, "dist/bad.yaml", "kind: [\n")
    write(tmp_path, ".gitignore", "dist/\n")
    code, report = scan_json(".", cwd=tmp_path)
    assert code == 0, report["errors"]
    assert report["summary"]["files"] == 1 and report["errors"] == []
    # a file named explicitly is read even when ignored
    code, report = scan_json("dist/bad.yaml", cwd=tmp_path)
    assert code == 2 and report["errors"][0]["file"] == "dist/bad.yaml"
    code, _, _ = cli("scan", "env2/lib/bad.yaml", cwd=tmp_path)
    assert code == 2


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "hit"),
    [
        ("foo", "a/foo", False, True),
        ("/foo", "a/foo", False, False),
        ("foo/", "foo", False, False),
        ("foo/", "foo", True, True),
        ("a/*.yaml", "a/b/c.yaml", False, False),
        ("a/**/c.yaml", "a/c.yaml", False, True),
        ("a/**/c.yaml", "a/x/y/c.yaml", False, True),
        ("**/c.yaml", "x/c.yaml", False, True),
        ("*.yaml\\ ", "x.yaml ", False, True),
        ("*.yaml   ", "x.yaml", False, True),
        ("[a-c].yaml", "b.yaml", False, True),
        ("[!a-c].yaml", "b.yaml", False, False),
    ],
)
def test_pattern_semantics(pattern: str, path: str, is_dir: bool, hit: bool) -> None:
    p = parse_line(pattern)
    assert p is not None
    matched = bool(p.regex.match(path)) and (is_dir or not p.dir_only)
    assert matched == hit


def test_the_users_global_excludes_count_as_for_git(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path_factory.mktemp("xdg")
    write(config, "git/ignore", "*.generated.yaml\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    write(repo, "k8s/app.generated.yaml", CM.format(name="gen"))
    write(repo, "k8s/app.yaml", CM.format(name="app"))
    monkeypatch.chdir(repo)
    expected = _git_view(repo)
    assert "k8s/app.yaml" in expected and "k8s/app.generated.yaml" not in expected
    assert _walk(repo) == expected
