"""Registers the core conditioning strategies (imported on first use)."""

from ganzoo.hookspecs import hookimpl


@hookimpl
def register_conditioning(register):
    register("none", "ganzoo.conditioning:NoConditioning", description="unconditional: labels are not used")
    register(
        "embedding-concat",
        "ganzoo.conditioning:EmbeddingConcat",
        description="CGAN: label embedding concatenated to z in G and to the image in D",
    )
