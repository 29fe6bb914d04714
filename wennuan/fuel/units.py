"""Energy units of the coal reserve, explicit: tonnes of raw coal, GJ, MWh, and tonnes of
standard coal equivalent (tce; 1 kgce = 29.3076 MJ, GB/T 2589).

Raw coal becomes energy through its lower heating value (LHV, MJ/kg, as received: the
supplier's certificate, moisture included), and heat delivered through the boiler efficiency.
"""

from __future__ import annotations

GJ_PER_MWH = 3.6
GJ_PER_TCE = 29.3076  # 1 kgce = 29.3076 MJ, so 1 tce = 29.3076 GJ
# A typical thermal coal as received (5,000 kcal/kg × 4.1868 kJ/kcal): the default LHV.
DEFAULT_LHV_MJ_KG = 20.934


def coal_to_gj(tonnes: float, lhv_mj_kg: float) -> float:
    """Energy content of raw coal: t × MJ/kg = GJ (1 t = 1,000 kg, 1 GJ = 1,000 MJ)."""
    if lhv_mj_kg <= 0:
        raise ValueError("the lower heating value must be positive")
    return tonnes * lhv_mj_kg


def gj_to_coal(gj: float, lhv_mj_kg: float) -> float:
    """Tonnes of raw coal holding this energy."""
    if lhv_mj_kg <= 0:
        raise ValueError("the lower heating value must be positive")
    return gj / lhv_mj_kg


def gj_to_mwh(gj: float) -> float:
    return gj / GJ_PER_MWH


def mwh_to_gj(mwh: float) -> float:
    return mwh * GJ_PER_MWH


def gj_to_tce(gj: float) -> float:
    """Tonnes of standard coal equivalent."""
    return gj / GJ_PER_TCE


def tce_to_gj(tce: float) -> float:
    return tce * GJ_PER_TCE


def coal_to_tce(tonnes: float, lhv_mj_kg: float) -> float:
    """Raw coal in standard coal: 1 t at 20.934 MJ/kg is 0.714 tce."""
    return gj_to_tce(coal_to_gj(tonnes, lhv_mj_kg))


def coal_for_heat(heat_mwh: float, *, lhv_mj_kg: float, efficiency: float) -> float:
    """Raw coal burned to deliver this heat through a boiler of this efficiency (0..1]."""
    if not 0 < efficiency <= 1:
        raise ValueError("the efficiency must be in (0, 1]")
    return gj_to_coal(mwh_to_gj(heat_mwh) / efficiency, lhv_mj_kg)


def energy_of_stock(tonnes: float, lhv_mj_kg: float) -> dict[str, float]:
    """A pile of raw coal in every unit the company reports: t, GJ, MWh and tce."""
    gj = coal_to_gj(tonnes, lhv_mj_kg)
    return {"t": tonnes, "gj": gj, "mwh": gj_to_mwh(gj), "tce": gj_to_tce(gj), "lhv": lhv_mj_kg}
