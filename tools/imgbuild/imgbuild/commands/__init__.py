"""imgbuild's commands, one module each (add_arguments, run -> int)."""

from . import build, images, inspect, libvirt, modules, rmi, run

COMMANDS = (build, run, inspect, libvirt, modules, images, rmi)
