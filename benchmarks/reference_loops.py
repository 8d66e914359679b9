"""Faithful copies of the training loops people copy today (PyTorch-GAN's ``gan.py``,
``cgan.py`` and ``dcgan.py``), used as the baseline of the speed benchmarks.

What makes them what they are, and is kept on purpose: a torchvision ``DataLoader`` with
``ToTensor`` + ``Normalize`` applied to every image in Python (``dcgan.py`` also
``Resize``s it), no worker processes (the scripts do not pass ``num_workers``), a final
``Sigmoid`` in D with ``BCELoss`` (``MSELoss`` in ``cgan.py``), the generator step before
the discriminator step reusing the same generated batch, and ``.item()`` on both losses
every batch (the scripts print them every batch; the printing itself is left out). The
noise comes from ``torch.randn`` where the scripts convert ``np.random.normal``'s float64
array, which if anything makes the copies a little faster than the scripts.

``dcgan.py`` is run as a user of the script runs it, at its default ``--img_size 32``:
MNIST resized to 32x32, a G of a linear projection to 128x8x8, two nearest-neighbour
upsamplings and three 3x3 convolutions (BatchNorm, LeakyReLU), and a D of four 3x3
stride-2 convolutions (Dropout2d 0.25, BatchNorm after the middle two), with its own
``weights_init_normal``. It cannot be run at 28x28 (its D's last feature map would be 2x2
where its linear layer expects 1x1). ganzoo's ``dcgan`` is another architecture
(Radford et al.'s transposed and strided 4x4 convolutions) on MNIST's own 28x28, so
the two do not compute the same thing: what the benchmark compares is the time of one
training iteration (one G step and one D step on a batch of real images) at the same
batch size, the cost a user pays for "a DCGAN on MNIST" with either.
"""

from __future__ import annotations

import time
import torch
from torch import nn
from torchvision import datasets, transforms


def mnist_loader(root: str, batch_size: int, img_size: int | None = None) -> torch.utils.data.DataLoader:
    """``img_size``: resize every image first, as ``dcgan.py`` does (``gan.py`` and
    ``cgan.py`` do not)."""
    steps = [transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]
    transform = transforms.Compose(steps if img_size is None else [transforms.Resize(img_size), *steps])
    return torch.utils.data.DataLoader(
        datasets.MNIST(root, train=True, download=False, transform=transform), batch_size=batch_size, shuffle=True
    )


def gan_models() -> tuple[nn.Module, nn.Module]:
    generator = nn.Sequential(
        nn.Linear(100, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh()
    )
    discriminator = nn.Sequential(
        nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid()
    )
    return generator, discriminator


class CGANGenerator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.label_emb = nn.Embedding(10, 10)

        def block(i: int, o: int, normalize: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Linear(i, o)]
            if normalize:
                layers.append(nn.BatchNorm1d(o, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(
            *block(110, 128, normalize=False), *block(128, 256), *block(256, 512), *block(512, 1024),
            nn.Linear(1024, 784), nn.Tanh(),
        )

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.model(torch.cat((self.label_emb(labels), noise), -1)).view(-1, 1, 28, 28)


class CGANDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.label_embedding = nn.Embedding(10, 10)
        self.model = nn.Sequential(
            nn.Linear(794, 512), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 512), nn.Dropout(0.4), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 512), nn.Dropout(0.4), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 1),
        )

    def forward(self, img: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.model(torch.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1))


def dcgan_weights_init_normal(m: nn.Module) -> None:
    """``dcgan.py``'s ``weights_init_normal``, applied with ``.apply``: it matches class
    names, so convolutions get N(0, 0.02) weights (biases left as PyTorch made them),
    BatchNorm2d N(1, 0.02) scales and zero shifts, and the linear layers keep PyTorch's
    default initialisation."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)


class DCGANGenerator(nn.Module):
    def __init__(self, img_size: int = 32, latent_dim: int = 100, channels: int = 1) -> None:
        super().__init__()
        self.init_size = img_size // 4
        self.l1 = nn.Sequential(nn.Linear(latent_dim, 128 * self.init_size**2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1), nn.BatchNorm2d(128, 0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1), nn.BatchNorm2d(64, 0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, channels, 3, stride=1, padding=1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.l1(z)
        return self.conv_blocks(out.view(out.shape[0], 128, self.init_size, self.init_size))


class DCGANDiscriminator(nn.Module):
    def __init__(self, img_size: int = 32, channels: int = 1) -> None:
        super().__init__()

        def block(i: int, o: int, bn: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(i, o, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
            if bn:
                layers.append(nn.BatchNorm2d(o, 0.8))
            return layers

        self.model = nn.Sequential(*block(channels, 16, bn=False), *block(16, 32), *block(32, 64), *block(64, 128))
        ds_size = img_size // 2**4
        self.adv_layer = nn.Sequential(nn.Linear(128 * ds_size**2, 1), nn.Sigmoid())

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        out = self.model(img)
        return self.adv_layer(out.view(out.shape[0], -1))


def train_gan_epoch(loader, generator, discriminator, opt_g, opt_d, limit: int | None = None,
                    flatten: bool = True) -> int:
    """One epoch of PyTorch-GAN's gan.py (``flatten``: its MLP D takes flat images) or of
    dcgan.py, whose loop is the same with images kept 2-D; returns the real images seen."""
    loss = nn.BCELoss()
    seen = 0
    for i, (imgs, _) in enumerate(loader):
        if limit is not None and i >= limit:
            break
        real = imgs.view(imgs.size(0), -1) if flatten else imgs
        valid = torch.ones(imgs.size(0), 1)
        fake = torch.zeros(imgs.size(0), 1)
        opt_g.zero_grad()
        z = torch.randn(imgs.size(0), 100)
        generated = generator(z)
        g_loss = loss(discriminator(generated), valid)
        g_loss.backward()
        opt_g.step()
        opt_d.zero_grad()
        d_loss = (loss(discriminator(real), valid) + loss(discriminator(generated.detach()), fake)) / 2
        d_loss.backward()
        opt_d.step()
        d_loss.item(), g_loss.item()
        seen += imgs.size(0)
    return seen


def train_cgan_epoch(loader, generator, discriminator, opt_g, opt_d, limit: int | None = None) -> int:
    """One epoch of PyTorch-GAN's cgan.py (MSE loss); returns the number of real images seen."""
    loss = nn.MSELoss()
    seen = 0
    for i, (imgs, labels) in enumerate(loader):
        if limit is not None and i >= limit:
            break
        batch = imgs.size(0)
        valid = torch.ones(batch, 1)
        fake = torch.zeros(batch, 1)
        opt_g.zero_grad()
        z = torch.randn(batch, 100)
        gen_labels = torch.randint(0, 10, (batch,))
        generated = generator(z, gen_labels)
        g_loss = loss(discriminator(generated, gen_labels), valid)
        g_loss.backward()
        opt_g.step()
        opt_d.zero_grad()
        d_loss = (loss(discriminator(imgs, labels), valid) + loss(discriminator(generated.detach(), gen_labels), fake)) / 2
        d_loss.backward()
        opt_d.step()
        d_loss.item(), g_loss.item()
        seen += batch
    return seen


def train_dcgan_epoch(loader, generator, discriminator, opt_g, opt_d, limit: int | None = None) -> int:
    """One epoch of PyTorch-GAN's dcgan.py: gan.py's loop on 2-D images."""
    return train_gan_epoch(loader, generator, discriminator, opt_g, opt_d, limit, flatten=False)


class ReferenceLoop:
    """One of the reference scripts, set up once (seeded models, Adam, ``DataLoader``), so
    its epochs can be timed one at a time, alternating with ganzoo's."""

    def __init__(self, model: str, root: str, batch_size: int, in_memory: bool = False) -> None:
        """``in_memory``: the ``DataLoader``'s batches are made once, up front, and every
        epoch walks that list: the same loop with its data cost taken out, which measures
        how fast its computation alone runs."""
        torch.manual_seed(0)
        img_size = None
        if model == "gan":
            self.generator, self.discriminator = gan_models()
            lr, betas, self._epoch_fn = 3e-4, (0.9, 0.999), train_gan_epoch
        elif model == "cgan":
            self.generator, self.discriminator = CGANGenerator(), CGANDiscriminator()
            lr, betas, self._epoch_fn = 2e-4, (0.5, 0.999), train_cgan_epoch
        elif model == "dcgan":
            img_size = 32  # the script's default; see the module's docstring
            self.generator, self.discriminator = DCGANGenerator(img_size), DCGANDiscriminator(img_size)
            self.generator.apply(dcgan_weights_init_normal)
            self.discriminator.apply(dcgan_weights_init_normal)
            lr, betas, self._epoch_fn = 2e-4, (0.5, 0.999), train_dcgan_epoch
        else:
            raise ValueError(f"no reference loop for {model!r}: gan, cgan or dcgan")
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas)
        self.loader = mnist_loader(root, batch_size, img_size)
        if in_memory:
            self.loader = list(self.loader)  # type: ignore[assignment]

    def timed_epoch(self, limit: int | None = None) -> tuple[int, float]:
        """One epoch (or ``limit`` batches): real images seen and seconds taken."""
        start = time.perf_counter()
        seen = self._epoch_fn(self.loader, self.generator, self.discriminator, self.opt_g, self.opt_d, limit)
        return seen, time.perf_counter() - start

