print("seqcurate")
