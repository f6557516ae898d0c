"""`gradwalk import FILE.py:Class --input …`: prints the source of your own module; errors are
said plainly, with a non-zero exit."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from app.cli import main  # noqa: E402
from app.engine.core.limits import Limits  # noqa: E402
from app.engine.language.parser import parse  # noqa: E402

MODEL = '''
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 16)
        self.fc2 = torch.nn.Linear(16, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))

class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 2, 3, groups=2)

    def forward(self, x):
        return self.conv(x).sum()
'''


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "mymodel.py"
    path.write_text(MODEL)
    return path


def test_prints_the_source_of_a_module(model_file, capsys):
    assert main(["import", f"{model_file}:Net", "--input", "8,1,28,28",
                 "--loss", "cross_entropy"]) == 0
    source = capsys.readouterr().out
    assert "x = input(8, 1, 28, 28)" in source and "target = labels(8, 10)" in source
    assert "fc1_weight = uniform(16, 784" in source
    parse(source, Limits())


def test_writes_to_a_file_with_out(model_file, tmp_path):
    out = tmp_path / "net.gw"
    assert main(["import", f"{model_file}:Net", "--input", "2,1,28,28", "--loss", "mse",
                 "--out", str(out)]) == 0
    assert "loss = mean((" in out.read_text()


@pytest.mark.parametrize("args,says", [
    (["{file}:Conv", "--input", "1,2,5,5"], "convolution in conv (mymodel.py"),
    (["{file}:Conv", "--input", "1,2,5,5"], "groups=2: Gradwalk's conv2d takes groups=1"),
    (["{file}:Nope", "--input", "2,2"], "defines no 'Nope'"),
    (["{file}", "--input", "2,2"], "FILE.py:ClassName"),
    (["/no/such.py:Net", "--input", "2,2"], "no file"),
    (["{file}:Net", "--input", "2,0"], None),
])
def test_errors_are_said_plainly(model_file, capsys, args, says):
    args = [a.replace("{file}", str(model_file)) for a in args]
    with pytest.raises(SystemExit) as caught:
        main(["import", *args])
    text = str(caught.value.code) + capsys.readouterr().err
    assert caught.value.code != 0
    if says:
        assert says in text, text
