"""Regularizers of D from the literature, as a plugin on ganzoo's public Regularizer
interface: R1 and R2 (Mescheder et al. 2018), LeCam (Tseng et al. 2021) and WGAN's weight
clipping (Arjovsky et al. 2017). Choose them with ``--regularizer NAME[:KEY=VALUE]``."""

from ganzoo import hookimpl


@hookimpl
def register_regularizers(register):
    register("r1", "ganzoo_regularizers.regularizers:R1",
             description="R1 (Mescheder et al. 2018): gamma/2 E||grad D(x)||^2 on real images")
    register("r2", "ganzoo_regularizers.regularizers:R2",
             description="R2 (Mescheder et al. 2018): gamma/2 E||grad D(G(z))||^2 on generated images")
    register("lecam", "ganzoo_regularizers.regularizers:LeCam",
             description="LeCam (Tseng et al. 2021): D's outputs held near moving averages of the other side's")
    register("weight-clipping", "ganzoo_regularizers.regularizers:WeightClipping",
             description="WGAN (Arjovsky et al. 2017): D's weights clipped to [-clip, clip] after each update")
