import KevcIR
