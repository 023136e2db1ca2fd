import KevcBasic
