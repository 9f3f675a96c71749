"""imgbuild's commands, one module each (add_arguments, run -> int)."""

from . import (build, export, images, inspect, libvirt, login, logout,
               modules, pull, push, rmi, run)

COMMANDS = (build, run, inspect, libvirt, modules, images, rmi, push, pull,
            login, logout, export)
