# The seed's modify function, as the sharedctypes documentation writes it. PythonSeedExample (Java) runs it in a
# Python child with Java-made shared objects; multiprocess4j's PythonProcess attaches them before the call.


def modify(n, x, s, A):
    n.value **= 2
    x.value **= 2
    s.value = s.value.upper()
    for a in A:
        a.x **= 2
        a.y **= 2
