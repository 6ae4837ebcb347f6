"""cli.py: `convprop shape` and `convprop gradcheck`."""

import subprocess
import sys

from convprop.cli import main


def test_shape_course_example(capsys):
    assert (
        main(
            [
                "shape",
                "32x32x3",
                "--filters",
                "6",
                "--kernel",
                "5",
                "--stride",
                "1",
                "--padding",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "W2 = (W1 - F + 2P)/S + 1 = (32 - 5 + 2*0)/1 + 1 = 28" in out
    assert out.strip().splitlines()[-1] == "output: 28x28x6"


def test_shape_walks_lenet_stack_with_pools(capsys):
    assert main(["shape", "32x32x1", "--filters", "6", "16", "--kernel", "5", "--pool", "2"]) == 0
    out = capsys.readouterr().out
    assert [line.strip() for line in out.splitlines() if line.strip().startswith("->")] == [
        "-> 28x28x6",
        "-> 14x14x6",
        "-> 10x10x16",
        "-> 5x5x16",
    ]
    assert out.strip().endswith("output: 5x5x16")


def test_shape_with_padding_stride_and_dilation(capsys):
    assert main(["shape", "227x227x3", "--filters", "96", "--kernel", "11", "--stride", "4"]) == 0
    assert capsys.readouterr().out.strip().endswith("output: 55x55x96")
    assert main(["shape", "9x9", "--kernel", "3", "--dilation", "2", "--padding", "same"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("output: 9x9x1")
    # the dilated span is defined once, then the arithmetic reads (9 - 5 + 2*2)/1 + 1
    flat = " ".join(out.split())
    assert "F' = D*(F-1)+1 = 2*(3-1)+1 = 5: (9 - 5 + 2*2)/1 + 1 = 9" in flat
    assert "9 - D*(F-1)" not in flat  # not the old garbled '(9 - D*(F-1)+1 = 5 + 2*2)'


def test_shape_names_rows_and_columns_separately(capsys):
    assert main(["shape", "12x12", "--kernel", "3", "--stride", "2"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "the last 1 input row never seen" in flat  # no padding: an input row
    assert "the last 1 input column never seen" in flat
    assert "padded" not in flat
    assert main(["shape", "12x12", "--kernel", "3", "--stride", "2", "--padding", "1"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "(12 - 3 + 2*1)/2" in flat and "the last 1 padded row never seen" in flat


def test_shape_flags_a_formula_that_is_not_whole(capsys):
    assert main(["shape", "8x8x1", "--kernel", "3", "--stride", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # lines wrap to the terminal
    assert "floor(5/2) + 1 = 3" in out and "not whole" in out


def test_impossible_layer_prints_the_rule_and_exits_non_zero(capsys):
    assert main(["shape", "4x4x1", "--filters", "2", "--kernel", "5"]) == 2
    err = capsys.readouterr().err
    assert "layer 1" in err and "larger than the padded input" in err
    assert main(["shape", "28x28x1", "--kernel", "3", "--stride", "2", "--padding", "same"]) == 2
    assert "requires stride 1" in capsys.readouterr().err
    assert main(["shape", "32by32"]) == 2
    assert main(["shape", "8x8", "--kernel", "3", "3", "3", "--filters", "1", "2"]) == 2


def test_gradcheck_command_prints_a_passing_table(capsys):
    assert main(["gradcheck", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "max rel error" in out and "conv2d" in out and "max_pool2d" in out
    assert out.strip().endswith("all passed")


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "convprop", "shape", "32x32x3", "--filters", "6", "--kernel", "5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("output: 28x28x6")


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    # `convprop explain maxpool | head -1`: no BrokenPipeError traceback
    done = subprocess.run(
        f"{sys.executable} -m convprop explain maxpool | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.count("\n") == 1 and done.stderr == ""


def test_the_first_compile_notice_goes_to_a_terminal_only(capsys, monkeypatch):
    import importlib

    cli_main = importlib.import_module("convprop.cli.main")  # the module, not the function
    cli_main._compiling("compiling kernels")
    assert capsys.readouterr().err == ""  # a log file or a pipe: no notice
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    cli_main._compiling("compiling kernels")
    assert capsys.readouterr().err == "convprop: compiling kernels\n"
