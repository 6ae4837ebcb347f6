"""`convprop predict`, `saliency` and `export` under the checkpoint's input contract: the
digits' own 0..16 arrays are read right, image files through Pillow by their bit depth,
and every kind of wrong file is one line naming the file and the rule, exit 2."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from convprop.cli import main
from convprop.data import load_digits
from convprop.data.digits import CONTRACT
from convprop.data.images import read_image
from convprop.formats import checkpoint


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A digits checkpoint (8 epochs) and the test split's images as sklearn gives them."""
    tmp = tmp_path_factory.mktemp("predict")
    argv = [
        "train",
        "--epochs",
        "8",
        "--no-progress",
        "--checkpoint",
        str(tmp / "d.npz"),
        "--metrics",
        str(tmp / "m.json"),
    ]
    assert main(argv) == 0
    bunch = sklearn_digits()
    test = np.random.default_rng(0).permutation(len(bunch.target))[:40]  # load_digits' split
    return tmp / "d.npz", bunch.images[test], bunch.target[test]


def _predict(capsys, ckpt, *paths):
    capsys.readouterr()
    code = main(["predict", "--checkpoint", str(ckpt), *map(str, paths)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_digits_own_0_to_16_images_are_read_as_they_are(trained, tmp_path, capsys):
    ckpt, images, labels = trained
    paths = []
    for i, image in enumerate(images):
        np.save(tmp_path / f"d{i}.npy", image)  # the natural way: values 0..16
        paths.append(tmp_path / f"d{i}.npy")
    code, out, _ = _predict(capsys, ckpt, *paths)
    predicted = np.array([int(line.split(": ")[1].split()[0]) for line in out.splitlines()])
    assert code == 0 and (predicted == labels).mean() >= 0.85  # on main: 7.5% (divided by 255)
    meta = checkpoint.load(ckpt)[2]
    assert meta["config"]["input"]["high"] == 16 and meta["config"]["input"]["size"] == 8


def test_png_and_pgm_files_are_scaled_by_their_bit_depth(trained, tmp_path, capsys):
    from PIL import Image

    ckpt, images, _ = trained
    image = images[0]
    byte = np.round(image * 255 / 16).astype(np.uint8)
    Image.fromarray(byte).save(tmp_path / "a.png")
    Image.fromarray(np.round(image * 65535 / 16).astype(np.uint16)).save(tmp_path / "b.png")
    (tmp_path / "c.PGM").write_bytes(b"P5\n# CREATOR: GIMP PNM Filter\n8 8\n255\n" + byte.tobytes())
    deep = np.round(image * 65535 / 16).astype(">u2")
    (tmp_path / "d.pgm").write_bytes(b"P5 8 8 65535\n" + deep.tobytes())
    for name in ("a.png", "b.png", "c.PGM", "d.pgm"):
        np.testing.assert_allclose(read_image(tmp_path / name, CONTRACT), image, atol=0.04)
    # a binary PGM whose first pixel byte is whitespace (9 = tab, 10 = newline)
    odd = byte.copy()
    odd[0, 0], odd[0, 1] = 9, 10
    (tmp_path / "e.pgm").write_bytes(b"P5\n8 8\n255\n" + odd.tobytes())
    assert read_image(tmp_path / "e.pgm", CONTRACT)[0, 0] == pytest.approx(9 * 16 / 255)
    code, out, _ = _predict(capsys, ckpt, tmp_path / "a.png", tmp_path / "c.PGM")
    assert code == 0 and len(out.splitlines()) == 2


def _bad_files(tmp_path):
    rgb = np.zeros((8, 8, 3))
    rgb[2:6, 3, :] = 16
    files = {
        "rgb.npy": (rgb, "has shape (8, 8, 3); the model takes one grey 8x8 image"),
        "empty.npy": (np.zeros((0,)), "is empty"),
        "nan.npy": (np.full((8, 8), np.nan), "NaN or infinite pixels"),
        "complex.npy": (np.zeros((8, 8), complex), "complex128 values; pixels must be real"),
        "big.npy": (np.full((8, 8), 255.0), "in [255, 255]; the model takes pixels in [0, 16]"),
        "unit.npy": (np.eye(8), "a [0, 1] image; the model takes pixels in [0, 16]: multiply"),
        "paper.npy": (16 - np.eye(8), "dark digit on a light background"),
        "mnist.npy": (np.zeros((28, 28)), "has shape (28, 28); the model takes one grey 8x8"),
    }
    for name, (array, _) in files.items():
        np.save(tmp_path / name, array)
    (tmp_path / "obj.npy").write_bytes(b"")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    rules = {name: rule for name, (_, rule) in files.items()}
    rules["obj.npy"] = "holds pickled Python objects"
    rules["missing.npy"] = "does not exist"
    (tmp_path / "garbage.npy").write_bytes(b"garbage")  # NumPy calls this a pickle
    rules["garbage.npy"] = "is not a .npy file (no NumPy header)"
    (tmp_path / "pickled.npy").write_bytes(pickle.dumps([1, 2]))
    rules["pickled.npy"] = "is a pickle; only plain numeric .npy arrays are read"
    (tmp_path / "x.bmp").write_bytes(b"BM")
    rules["x.bmp"] = "only .npy, .png, .jpg/.jpeg and .pgm images are read"
    (tmp_path / "junk.png").write_bytes(pickle.dumps(1))
    rules["junk.png"] = "is not a readable image"
    return rules


def test_each_wrong_file_is_one_line_naming_it_and_the_rule(trained, tmp_path, capsys):
    ckpt = trained[0]
    for name, rule in _bad_files(tmp_path).items():
        code, out, err = _predict(capsys, ckpt, tmp_path / name)
        assert code == 2 and out == "", name
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"convprop predict: error: {tmp_path / name}"), err
        assert rule in err, (name, err)
    # a (1, 8, 8) array is one grey image: accepted
    np.save(tmp_path / "chw.npy", trained[1][:1])
    assert _predict(capsys, ckpt, tmp_path / "chw.npy")[0] == 0


def test_saliency_reads_images_the_same_way(trained, tmp_path, capsys):
    ckpt, images, _ = trained
    np.save(tmp_path / "d.npy", images[0])
    capsys.readouterr()
    assert main(["saliency", "--checkpoint", str(ckpt), str(tmp_path / "d.npy")]) == 0
    assert "largest |dL/dX|" in capsys.readouterr().out
    np.save(tmp_path / "u.npy", images[0] / 16)
    assert main(["saliency", "--checkpoint", str(ckpt), str(tmp_path / "u.npy")]) == 2
    assert "convprop saliency: error:" in capsys.readouterr().err


def test_onnx_export_takes_the_same_raw_pixels_as_predict(trained, tmp_path, capsys):
    import onnxruntime

    import onnx
    from convprop.cli.predict import model_inputs, restore
    from convprop.train import predict

    ckpt, images, labels = trained
    out = tmp_path / "m.onnx"
    assert main(["export", str(ckpt), "--onnx", str(out)]) == 0
    assert "raw pixels in [0, 16]" in capsys.readouterr().out
    proto = onnx.load(str(out))
    assert [n.op_type for n in proto.graph.node[:2]] == ["Sub", "Div"]
    props = {p.key: p.value for p in proto.metadata_props}
    assert (
        props["convprop.pixel_range"] == "[0, 16]" and "light digit" in props["convprop.polarity"]
    )
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    raw = images[:, None].astype(np.float32)
    logits = session.run(None, {session.get_inputs()[0].name: raw})[0]
    paths = []
    for i, image in enumerate(images):
        np.save(tmp_path / f"i{i}.npy", image)
        paths.append(str(tmp_path / f"i{i}.npy"))
    model, _ = restore(str(ckpt))
    classes, probabilities = predict(model, model_inputs(paths, CONTRACT))
    assert (logits.argmax(axis=1) == classes).all()
    soft = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(soft / soft.sum(1, keepdims=True), probabilities, atol=1e-5)
    assert (classes == labels).mean() >= 0.85


def test_predict_on_the_test_split_matches_evaluate(trained, tmp_path, capsys):
    """The loaders and predict normalise with the same recorded contract."""
    ckpt = trained[0]
    x = load_digits("test").arrays[0][:3, 0]
    raw = x * CONTRACT.std * CONTRACT.high + CONTRACT.mean * CONTRACT.high
    np.testing.assert_allclose(CONTRACT.normalise(raw), x, atol=1e-5)
    assert checkpoint.load(ckpt)[2]["config"]["input"]["mean"] == CONTRACT.mean


def test_without_pillow_a_png_says_how_to_install_it(trained, tmp_path, capsys, monkeypatch):
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)  # as if not installed
    code, _, err = _predict(capsys, trained[0], tmp_path / "a.png")
    assert code == 2 and "pip install 'convprop[image]'" in err and err.count("\n") == 1


def test_an_older_checkpoint_without_the_record_gets_its_datasets(trained, tmp_path, capsys):
    model, optim_state, meta = checkpoint.load(trained[0])
    del meta["config"]["input"]
    checkpoint.save(tmp_path / "old.npz", model, optim_state, meta)
    np.save(tmp_path / "d.npy", trained[1][0])
    code, out, _ = _predict(capsys, tmp_path / "old.npz", tmp_path / "d.npy")
    assert code == 0 and out.startswith(f"{tmp_path / 'd.npy'}: {trained[2][0]} ")


def test_convprop_traceback_shows_the_whole_story_of_an_error(monkeypatch, capsys, tmp_path):
    argv = ["predict", "--checkpoint", str(tmp_path / "none.npz"), "x.npy"]
    assert main(argv) == 2  # one line by default
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("CONVPROP_TRACEBACK", "1")  # a bug raising ValueError is not hidden
    with pytest.raises(ValueError, match="does not exist"):
        main(argv)
