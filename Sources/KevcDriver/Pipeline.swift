import KevcLLVM
import KevcInterpreter
import KevcSpec
