import hashlib
import subprocess

import yaml

from lmforge.tracking.lineage import dvc_lock_hashes, git_commit, path_md5


def test_path_md5_of_a_file_is_the_md5_dvc_records(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("评论 review\n".encode())
    assert path_md5(path) == hashlib.md5(path.read_bytes()).hexdigest()
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "x.bin").write_bytes(b"x")
    first = path_md5(folder)
    (folder / "sub" / "x.bin").write_bytes(b"y")
    assert path_md5(folder) != first
    assert path_md5(tmp_path / "missing") is None


def test_dvc_lock_hashes_and_git_commit(tmp_path):
    lock = {
        "stages": {
            "evaluation": {
                "outs": [{"path": "data/08_reporting/metrics.json", "md5": "abc"}, {"path": "x"}]
            }
        }
    }
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock))
    assert dvc_lock_hashes(tmp_path / "dvc.lock") == {"data/08_reporting/metrics.json": "abc"}
    assert dvc_lock_hashes(tmp_path / "none.lock") == {}
    assert git_commit(tmp_path) is None  # not a repository
    for args in (["init", "-q"], ["add", "dvc.lock"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
        cwd=tmp_path,
        check=True,
    )
    clean = git_commit(tmp_path)
    assert clean and len(clean) == 40
    (tmp_path / "dvc.lock").write_text("changed")
    assert git_commit(tmp_path) == f"{clean}-dirty"
