import KevcDriver
print("kevc")
