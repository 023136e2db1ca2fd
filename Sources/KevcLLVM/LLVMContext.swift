import CLLVM
import KevcLowering
