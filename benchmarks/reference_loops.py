"""Faithful copies of the training loops people copy today (PyTorch-GAN's ``gan.py`` and
``cgan.py``), used as the baseline of the speed benchmarks.

What makes them what they are, and is kept on purpose: a torchvision ``DataLoader`` with
``ToTensor`` + ``Normalize`` applied to every image in Python, no worker processes
(the scripts do not pass ``num_workers``), a final ``Sigmoid`` in D with ``BCELoss``
(``MSELoss`` in ``cgan.py``), the generator step before the discriminator step reusing
the same generated batch, and ``.item()`` on both losses every batch (the scripts print
them every batch; the printing itself is left out).
"""

from __future__ import annotations

import time
import torch
from torch import nn
from torchvision import datasets, transforms


def mnist_loader(root: str, batch_size: int) -> torch.utils.data.DataLoader:
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
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


def train_gan_epoch(loader, generator, discriminator, opt_g, opt_d, limit: int | None = None) -> int:
    """One epoch of PyTorch-GAN's gan.py; returns the number of real images seen."""
    loss = nn.BCELoss()
    seen = 0
    for i, (imgs, _) in enumerate(loader):
        if limit is not None and i >= limit:
            break
        real = imgs.view(imgs.size(0), -1)
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


class ReferenceLoop:
    """One of the reference scripts, set up once (seeded models, Adam, ``DataLoader``), so
    its epochs can be timed one at a time, alternating with ganzoo's."""

    def __init__(self, model: str, root: str, batch_size: int, in_memory: bool = False) -> None:
        """``in_memory``: the ``DataLoader``'s batches are made once, up front, and every
        epoch walks that list: the same loop with its data cost taken out, which measures
        how fast its computation alone runs."""
        torch.manual_seed(0)
        if model == "gan":
            self.generator, self.discriminator = gan_models()
            lr, betas, self._epoch_fn = 3e-4, (0.9, 0.999), train_gan_epoch
        else:
            self.generator, self.discriminator = CGANGenerator(), CGANDiscriminator()
            lr, betas, self._epoch_fn = 2e-4, (0.5, 0.999), train_cgan_epoch
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas)
        self.loader = mnist_loader(root, batch_size)
        if in_memory:
            self.loader = list(self.loader)  # type: ignore[assignment]

    def timed_epoch(self, limit: int | None = None) -> tuple[int, float]:
        """One epoch (or ``limit`` batches): real images seen and seconds taken."""
        start = time.perf_counter()
        seen = self._epoch_fn(self.loader, self.generator, self.discriminator, self.opt_g, self.opt_d, limit)
        return seen, time.perf_counter() - start

