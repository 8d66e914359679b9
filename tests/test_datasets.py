"""The datasets that are not on this machine, in their real on-disk formats."""

import pickle

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.checkpoint import latest_checkpoint


def write_cifar10(root, n_per_batch=64):
    """CIFAR-10's python format: pickled dicts of uint8 rows (3072 = 3 x 32 x 32) and labels."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
        labels = list(np.arange(n_per_batch) % 10)
        data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": labels}, handle)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]}, handle)


def test_cifar10_trains_from_its_on_disk_format(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as cifar

    write_cifar10(tmp_path / "data")
    # torchvision checks each file's md5 against the real CIFAR-10; these files are ours.
    monkeypatch.setattr(cifar.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(cifar, "check_integrity", lambda path, md5=None: True)
    result = ganzoo.train("cgan", "cifar10", out=tmp_path / "run", data_root=str(tmp_path / "data"), epochs=1,
                          batch_size=32, device="cpu", download=False)
    assert result.steps == 5 * 64 // 32  # five training batches of 64 images
    grid = Image.open(result.run_dir / "samples" / "epoch-0001.png")
    assert grid.mode == "RGB" and grid.size == (2 + 10 * 34, 2 + 10 * 34)  # 32 px images, padding 2
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    assert state["data"]["image_shape"] == [3, 32, 32] and state["data"]["class_names"][0] == "airplane"


def test_cifar10_missing_offline_is_one_clear_error(tmp_path):
    with pytest.raises(ganzoo.errors.DatasetUnavailableError, match=r"cifar-10-batches-py/data_batch_1"):
        ganzoo.train("gan", "cifar10", out=tmp_path / "run", data_root=str(tmp_path / "none"), download=False)
    assert not (tmp_path / "run").exists()


def test_image_folder_trains_through_the_dataloader_path(tmp_path):
    root = tmp_path / "pictures"
    rng = np.random.default_rng(1)
    for label in ("cats", "dogs"):
        (root / label).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 256, size=(40, 48, 3), dtype=np.uint8)  # not square, not 32 px
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    result = ganzoo.train("cgan", "image-folder", out=tmp_path / "run", data_root=str(root), epochs=2, batch_size=8,
                          device="cpu")
    assert result.steps == 2 * (24 // 8)
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    assert state["data"]["num_classes"] == 2 and state["data"]["class_names"] == ["cats", "dogs"]
    assert state["data"]["image_shape"] == [3, 32, 32]


def test_a_single_class_image_folder_trains_unconditionally_and_refuses_conditioning(tmp_path):
    root = tmp_path / "faces"
    (root / "all").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(16):
        Image.fromarray(rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)).save(root / "all" / f"{i}.png")
    with pytest.raises(ganzoo.errors.ConfigError, match=r"needs class labels; dataset 'image-folder' has a single class"):
        ganzoo.train("cgan", "image-folder", out=tmp_path / "cond", data_root=str(root), epochs=1, device="cpu")
    assert not (tmp_path / "cond").exists()
    result = ganzoo.train("gan", "image-folder", out=tmp_path / "run", data_root=str(root), epochs=1, batch_size=8,
                          device="cpu")
    assert result.steps == 2


def write_image_folder(root, classes=("cats", "dogs"), per_class=12, seed=3):
    rng = np.random.default_rng(seed)
    for label in classes:
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)).save(root / label / f"{i}.png")


def test_a_file_in_an_image_folder_that_is_not_an_image_is_refused_before_anything_is_written(tmp_path):
    root = tmp_path / "pictures"
    write_image_folder(root)
    (root / "dogs" / "notes.png").write_text("not an image, whatever its name says")
    with pytest.raises(ganzoo.errors.DatasetUnavailableError,
                       match=r"1 of the 25 images in .*pictures cannot be read as images \(first: .*dogs/notes.png\)"):
        ganzoo.train("gan", "image-folder", out=tmp_path / "run", data_root=str(root), epochs=1, batch_size=8,
                     device="cpu")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("layout, message", [
    ("missing", r"no folder .*nowhere: image-folder reads .*nowhere/<class>/<image>"),
    ("flat", r"Couldn't find any class folder in .*nowhere; image-folder reads"),
])
def test_an_image_folder_without_class_folders_is_one_clear_error(tmp_path, layout, message):
    root = tmp_path / "nowhere"
    if layout == "flat":  # images straight in the folder, no class sub-folders
        root.mkdir()
        Image.new("RGB", (32, 32)).save(root / "a.png")
    with pytest.raises(ganzoo.errors.DatasetUnavailableError, match=message) as caught:
        ganzoo.train("gan", "image-folder", out=tmp_path / "run", data_root=str(root), device="cpu")
    assert "download" not in str(caught.value)  # an image folder is never downloaded
    assert not (tmp_path / "run").exists()


def test_an_image_cut_short_stops_the_run_naming_it_and_the_checkpoint_to_resume(tmp_path):
    """The header is valid, so the check before training passes; decoding fails in a
    DataLoader worker, whose traceback must come back as one line."""
    root = tmp_path / "pictures"
    write_image_folder(root)
    run = tmp_path / "run"
    first = ganzoo.train("gan", "image-folder", out=run, data_root=str(root), epochs=1, batch_size=8, device="cpu")
    assert first.epochs_done == 1

    whole = root / "cats" / "big.png"
    Image.fromarray(np.random.default_rng(4).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)).save(whole)
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 2])
    with pytest.raises(ganzoo.errors.UnreadableImageError) as caught:
        ganzoo.train("gan", "image-folder", out=run, data_root=str(root), epochs=2, resume=True, device="cpu")
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith(f"cannot read image {whole} (image file is truncated")
    assert "the last checkpoint is " + str(run / "checkpoints" / "epoch-0001.pt") in message
    assert message.endswith(f"--out {run} --resume")

    whole.unlink()
    resumed = ganzoo.train("gan", "image-folder", out=run, data_root=str(root), epochs=2, resume=True, device="cpu")
    assert resumed.epochs_done == 2


def write_debian_fashion_mnist(folder, n_train=128, n_test=64):
    """Debian's dataset-fashion-mnist layout: the four original files, gzipped, in one folder."""
    import gzip

    from conftest import synthetic_digits, write_idx

    plain = folder.parent / "plain"
    for train, n in ((True, n_train), (False, n_test)):
        write_idx(plain, *synthetic_digits(n, seed=int(train)), train)
    folder.mkdir(parents=True)
    for path in plain.iterdir():
        (folder / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))


def test_fashion_mnist_is_read_from_debians_package_folder_without_writing_there(tmp_path, monkeypatch):
    import ganzoo.data.builtin
    from conftest import synthetic_digits

    debian = tmp_path / "usr-share-datasets" / "fashion-mnist"
    write_debian_fashion_mnist(debian)
    monkeypatch.setattr(ganzoo.data.builtin, "DEBIAN_FASHION_MNIST", debian)
    before = sorted(p.name for p in debian.iterdir())
    empty_root = tmp_path / "empty"
    empty_root.mkdir()
    # no data under --data-root and no download: Debian's copy is used, read in place
    result = ganzoo.train("gan", "fashion-mnist", out=tmp_path / "run", data_root=str(empty_root), epochs=1,
                          batch_size=32, download=False, device="cpu")
    assert result.steps == 128 // 32
    assert sorted(p.name for p in debian.iterdir()) == before and not any(empty_root.iterdir())
    # --data-root /usr/share/datasets (the folder that holds fashion-mnist/) works too
    monkeypatch.setattr(ganzoo.data.builtin, "DEBIAN_FASHION_MNIST", tmp_path / "not-installed")
    test_split = ganzoo.data.builtin._open_fashion_mnist(debian.parent, train=False, download=False)
    images, labels = ganzoo.data.builtin.FASHION_MNIST.to_tensors(test_split)
    expected_images, expected_labels = synthetic_digits(64, seed=0)
    assert torch.equal(images[:, 0], expected_images) and torch.equal(labels, expected_labels)


def test_torchvisions_layout_wins_over_debians_copy(tmp_path, monkeypatch):
    import ganzoo.data.builtin
    from conftest import write_synthetic_mnist

    debian = tmp_path / "debian" / "fashion-mnist"
    write_debian_fashion_mnist(debian, n_train=128)
    monkeypatch.setattr(ganzoo.data.builtin, "DEBIAN_FASHION_MNIST", debian)
    root = write_synthetic_mnist(tmp_path / "root", folder="FashionMNIST", n_train=96)
    dataset = ganzoo.data.builtin._open_fashion_mnist(root, train=True, download=False)
    assert len(dataset) == 96


def test_a_damaged_gz_file_of_fashion_mnist_is_one_clear_error(tmp_path, monkeypatch):
    import ganzoo.data.builtin

    debian = tmp_path / "debian" / "fashion-mnist"
    write_debian_fashion_mnist(debian)
    monkeypatch.setattr(ganzoo.data.builtin, "DEBIAN_FASHION_MNIST", debian)
    damaged = debian / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:200])  # cut short
    with pytest.raises(ganzoo.errors.DatasetUnavailableError, match=r"cannot read .*train-images-idx3-ubyte.gz .*damaged"):
        ganzoo.train("gan", "fashion-mnist", out=tmp_path / "run", data_root=str(tmp_path / "empty"), download=False,
                     device="cpu")
    assert not (tmp_path / "run").exists()
