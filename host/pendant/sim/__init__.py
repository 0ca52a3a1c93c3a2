"""The simulated pendant: real MicroPython, simulated machine, panel model."""

from pendant.sim.panel import PanelModel
from pendant.sim.simulator import Simulator

__all__ = ["PanelModel", "Simulator"]
