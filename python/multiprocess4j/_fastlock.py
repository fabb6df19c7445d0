"""The locks' `with` in machine code: a ProcessLock's __enter__ and __exit__ as CPython builtin methods.

Taking a lock through ctypes costs two foreign calls, each with its argument conversion (about 1 us for
`with lock:` here, five times CPython's own SemLock). This module puts the uncontended paths of __enter__ and
__exit__, written below in x86-64 machine code, behind CPython's own method calling convention, as a C extension
would, and needs no compiler: the bytes are in the table below, each row beside its instruction, and a test of
the repository assembles the instruction column with GNU as and compares. Everything else (waiting, a dead
owner's recovery, errors) stays in Python: the machine code hands every case but the plain one to the
functions it is given.

The fast paths are used on Linux x86-64, by a CPython with the GIL and without a debug build, when mapping the
code succeeds and a self-check at import passes; otherwise (aarch64 included) the locks keep their ctypes paths,
which do the same things more slowly. MULTIPROCESS4J_FAST_LOCKS=0 in the environment turns them off.

A lock keeps its state in a LockState, a ctypes structure held in the lock's one slot (16 bytes into the object,
after the object header); the code reads the structure's buffer (CDataObject.b_ptr, 16 bytes into it): the shared
word's address, the owning thread (pthread_self, which is threading.get_ident()), the depth, whether the previous
owner died, and whether the lock is re-entrant.
"""
import ctypes
import os
import platform
import struct
import sys
import sysconfig
import threading



class LockState(ctypes.Structure):
    """What the code reads and writes of a lock, at these offsets of its buffer."""
    _fields_ = [("word", ctypes.c_void_p),        # 0: the shared 8-byte lock word's address
                ("thread", ctypes.c_ulong),       # 8: the owning thread of this process, 0 for none
                ("depth", ctypes.c_ssize_t),      # 16: how many times it holds the lock
                ("died", ctypes.c_ssize_t),       # 24: whether its acquire took the lock over from a dead owner
                ("reentrant", ctypes.c_ssize_t)]  # 32: a ProcessRLock


# One row per instruction: machine code | the instruction in GNU as's Intel syntax; a row without '|' is a label.
X86_64 = """
enter_true:
41ba01000000         | mov r10d, 1                # METH_NOARGS: as enter, returning True (a wrapper's, as multiprocessing's)
eb03                 | jmp 0f
enter:
4531d2               | xor r10d, r10d             # METH_NOARGS: returns the object itself
488b5710             | 0: mov rdx, [rdi+16]       # rdi: the object; rdx: the LockState in its slot
4885d2               | test rdx, rdx
7473                 | jz 3f                      # none (made without its __init__): Python says so
488b0515020000       | mov rax, [rip+state_type]
483b4208             | cmp rax, [rdx+8]
7566                 | jne 3f                     # something else put in the slot: the same
488b5210             | mov rdx, [rdx+16]          # the LockState's buffer (CDataObject.b_ptr)
4c8b0a               | mov r9, [rdx]              # the shared word's address
4d85c9               | test r9, r9
745a                 | jz 3f                      # no word: the same
64488b0c2500000000   | mov rcx, fs:[0]            # this thread: pthread_self()
483b4a08             | cmp rcx, [rdx+8]
743e                 | je 2f                      # this thread holds it already
4c8b0595010000       | mov r8, [rip+self_word]
4d8b00               | mov r8, [r8]               # this process's owner word
31c0                 | xor eax, eax
f04d0fb101           | lock cmpxchg [r9], r8      # free (0) -> ours
7538                 | jne 3f                     # held, or free with sleepers' bit: Python waits or retries
48894a08             | mov [rdx+8], rcx           # the owning thread
48c7421001000000     | mov qword ptr [rdx+16], 1  # depth 1
48c7421800000000     | mov qword ptr [rdx+24], 0  # the previous owner did not die
4889f8               | 1: mov rax, rdi            # returns the object, or True, a new reference
4585d2               | test r10d, r10d
7407                 | jz 5f
488b05ae010000       | mov rax, [rip+true]
833800               | 5: cmp dword ptr [rax], 0  # (an immortal object, 3.12 on, reads negative: left alone)
7c02                 | jl 4f
ff00                 | inc dword ptr [rax]
c3                   | 4: ret
48837a2000           | 2: cmp qword ptr [rdx+32], 0
7406                 | je 3f                      # a ProcessLock held by this thread: Python blocks, as Lock does
48ff4210             | inc qword ptr [rdx+16]
ebdc                 | jmp 1b
4889fe               | 3: mov rsi, rdi
488b3d4f010000       | mov rdi, [rip+enter_slow]
eb69                 | jmp 6f                     # enter_slow(object)
exit:
488b5710             | mov rdx, [rdi+16]          # METH_FASTCALL or METH_NOARGS: no argument is read
4885d2               | test rdx, rdx
7456                 | jz 5f
488b058d010000       | mov rax, [rip+state_type]
483b4208             | cmp rax, [rdx+8]
7549                 | jne 5f
488b5210             | mov rdx, [rdx+16]
64488b0c2500000000   | mov rcx, fs:[0]
483b4a08             | cmp rcx, [rdx+8]
7536                 | jne 5f                     # not this thread's: Python releases or says why not
48ff4a10             | dec qword ptr [rdx+16]
7515                 | jnz 7f                     # still held (re-entered)
48c7420800000000     | mov qword ptr [rdx+8], 0
4c8b0a               | mov r9, [rdx]
31c0                 | xor eax, eax
498701               | xchg [r9], rax             # frees the word
4885c0               | test rax, rax
780f                 | js 8f                      # the sleepers' bit (63) was set: wake one
488b0522010000       | 7: mov rax, [rip+none]     # returns None, a new reference
833800               | cmp dword ptr [rax], 0
7c96                 | jl 4b
ff00                 | inc dword ptr [rax]
c3                   | ret
4889fe               | 8: mov rsi, rdi
488b3d00010000       | mov rdi, [rip+wake]
eb0a                 | jmp 6f                     # wake(lock)
4889fe               | 5: mov rsi, rdi
488b3dec000000       | mov rdi, [rip+exit_slow]   # exit_slow(lock)
31d2                 | 6: xor edx, edx
31c0                 | xor eax, eax
ff25f2000000         | jmp [rip+call_function]    # a tail call: PyObject_CallFunctionObjArgs(function, lock, NULL)
claim:
49ba0000000000000080 | movabs r10, 0x8000000000000000  # METH_O (the lock, the word expected): the sleepers' bit
eb03                 | jmp 9f
claim_alone:
4531d2               | xor r10d, r10d             # the same without it: a first try, which woke nobody
53                   | 9: push rbx
4154                 | push r12
4883ec08             | sub rsp, 8                 # the stack aligned to 16 for the call
4889fb               | mov rbx, rdi
4d89d4               | mov r12, r10
4889f7               | mov rdi, rsi
ff15e5000000         | call [rip+as_unsigned]     # PyLong_AsUnsignedLongLong(expected)
4883f8ff             | cmp rax, -1
7512                 | jne 1f
ff15e1000000         | call [rip+error_occurred]  # -1 may be an error (not an int): PyErr_Occurred()
4885c0               | test rax, rax
757d                 | jnz 3f                     # returns NULL: the exception stands
48c7c0ffffffff       | mov rax, -1
488b5310             | 1: mov rdx, [rbx+16]
4885d2               | test rdx, rdx
7457                 | jz 2f                      # no LockState: not taken
4c8b05dd000000       | mov r8, [rip+state_type]
4c3b4208             | cmp r8, [rdx+8]
754a                 | jne 2f
488b5210             | mov rdx, [rdx+16]
4c8b0a               | mov r9, [rdx]
4d85c9               | test r9, r9
743e                 | jz 2f
4c8b056c000000       | mov r8, [rip+self_word]
4d8b00               | mov r8, [r8]
4d09e0               | or r8, r12
31c9                 | xor ecx, ecx
4885c0               | test rax, rax
0f95c1               | setnz cl                   # the word expected is a dead owner's: it died
f04d0fb101           | lock cmpxchg [r9], r8      # expected -> ours; what follows records it, with no Python
7522                 | jne 2f                     # between (a signal's exception cannot come in between)
48894a18             | mov [rdx+24], rcx
64488b0c2500000000   | mov rcx, fs:[0]
48894a08             | mov [rdx+8], rcx
48c7421001000000     | mov qword ptr [rdx+16], 1
488b057f000000       | mov rax, [rip+true]        # returns True, a new reference
eb07                 | jmp 4f
488b057e000000       | 2: mov rax, [rip+false]    # returns False, a new reference
4883c408             | 4: add rsp, 8
415c                 | pop r12
5b                   | pop rbx
833800               | cmp dword ptr [rax], 0
7c02                 | jl 5f
ff00                 | inc dword ptr [rax]
c3                   | 5: ret
31c0                 | 3: xor eax, eax
4883c408             | add rsp, 8
415c                 | pop r12
5b                   | pop rbx
c3                   | ret
thread_id:
64488b3c2500000000   | mov rdi, fs:[0]            # for the self-check: pthread_self() as a Python int
ff2536000000         | jmp [rip+long_from_unsigned]
660f1f440000         | .balign 8
self_word:
0000000000000000     | .quad 0                    # the data the code reads, filled in when the code is mapped
enter_slow:
0000000000000000     | .quad 0
exit_slow:
0000000000000000     | .quad 0
wake:
0000000000000000     | .quad 0
call_function:
0000000000000000     | .quad 0
none:
0000000000000000     | .quad 0
long_from_unsigned:
0000000000000000     | .quad 0
as_unsigned:
0000000000000000     | .quad 0
error_occurred:
0000000000000000     | .quad 0
true:
0000000000000000     | .quad 0
false:
0000000000000000     | .quad 0
state_type:
0000000000000000     | .quad 0
"""


def listing(table=X86_64):
    """(code bytes, {label: offset}, the instructions as an assembler source) of a table."""
    code, labels, source = bytearray(), {}, [".intel_syntax noprefix", ".text"]
    for row in table.strip().splitlines():
        if "|" not in row:
            labels[row.rstrip(":")] = len(code)
            source.append(row)
            continue
        hexcode, instruction = row.split("|", 1)
        code += bytes.fromhex(hexcode.strip())
        source.append("    " + instruction.split("#", 1)[0].strip())
    return bytes(code), labels, "\n".join(source) + "\n"


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


_METH_NOARGS, _METH_O, _METH_FASTCALL = 0x0004, 0x0008, 0x0080
_PROT_READ, _PROT_WRITE, _PROT_EXEC = 1, 2, 4
_MAP_PRIVATE, _MAP_ANONYMOUS = 0x02, 0x20


def _why_not():
    """Why this interpreter cannot run the code, or None."""
    if os.environ.get("MULTIPROCESS4J_FAST_LOCKS", "1") == "0":
        return "MULTIPROCESS4J_FAST_LOCKS=0"
    if platform.machine() != "x86_64" or sys.platform != "linux":
        return "the machine code is for Linux x86-64, this is %s %s" % (sys.platform, platform.machine())
    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return "it needs CPython with the GIL"
    if hasattr(sys, "gettotalrefcount"):
        return "a debug build counts references differently"
    return None


def _map(code):
    """The code, in a page of its own that is made executable and read-only once written (and never unmapped)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    size = 4096
    page = libc.mmap(None, size, _PROT_READ | _PROT_WRITE, _MAP_PRIVATE | _MAP_ANONYMOUS, -1, 0)
    if page in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap of the code page failed")
    ctypes.memmove(page, code, len(code))
    if libc.mprotect(page, size, _PROT_READ | _PROT_EXEC) != 0:
        raise OSError(ctypes.get_errno(), "the code page cannot be made executable")
    return page


class MachineCode:
    """The code, mapped, with what it points to; install() gives classes its methods."""

    def __init__(self, page, labels, kept):
        self._page = page
        self._labels = labels
        self._kept = kept  # method definitions, the slow-path functions, the owner word
        self._definitions = {}

    _FLAGS = {"enter": _METH_NOARGS, "enter_true": _METH_NOARGS, "exit": _METH_FASTCALL, "exit_noargs": _METH_NOARGS,
              "claim": _METH_O, "claim_alone": _METH_O}

    def _definition(self, name, entry):
        """The PyMethodDef of method name at entry (exit_noargs: exit, taking no arguments), made once."""
        definition = self._definitions.get((name, entry))
        if definition is None:
            label = "exit" if entry == "exit_noargs" else entry
            definition = self._definitions[name, entry] = _MethodDef(
                name.encode(), self._page + self._labels[label], self._FLAGS[entry], None)
            self._kept.append(definition)
        return ctypes.addressof(definition)

    def install(self, cls, slot, methods):
        """Makes cls's methods the code's: methods maps a method's name to its entry (enter, enter_true, exit,
        exit_noargs, claim, claim_alone). An instance of cls holds a lock's LockState in its one slot, named slot
        (the lock classes, and the objects that a `with` locks by their lock); the functions the code calls for
        what it does not handle take such an instance. What the code points to is kept by cls, so that it lives as
        long as any instance does (a module's globals are cleared at interpreter exit, while a finalizer may still
        take a lock). Returns None, or why cls cannot have them."""
        state = LockState()
        probe = cls.__new__(cls)
        object.__setattr__(probe, slot, state)
        if ctypes.c_void_p.from_address(id(probe) + 16).value != id(state) \
                or ctypes.c_void_p.from_address(id(state) + 16).value != ctypes.addressof(state) \
                or ctypes.c_void_p.from_address(id(state) + 8).value != id(LockState):
            return "objects are laid out differently here"
        api = ctypes.pythonapi
        api.PyDescr_NewMethod.restype = ctypes.py_object
        api.PyDescr_NewMethod.argtypes = [ctypes.py_object, ctypes.c_void_p]
        for name, entry in methods.items():
            setattr(cls, name, api.PyDescr_NewMethod(cls, self._definition(name, entry)))
        cls._machine_code = self
        return None


def load(self_word, enter_slow, exit_slow, wake):
    """(the MachineCode, None), or (None, why the code is not used here). self_word is the ctypes c_uint64 holding
    this process's owner word; enter_slow, exit_slow and wake are called with the instance for every case the code
    does not handle."""
    why = _why_not()
    if why is not None:
        return None, why
    code, labels, _ = listing()
    api = ctypes.pythonapi
    functions = [ctypes.cast(f, ctypes.c_void_p).value for f in
                 (api.PyObject_CallFunctionObjArgs, api.PyLong_FromUnsignedLong, api.PyLong_AsUnsignedLongLong,
                  api.PyErr_Occurred)]
    data = [ctypes.addressof(self_word), id(enter_slow), id(exit_slow), id(wake), functions[0], id(None),
            functions[1], functions[2], functions[3], id(True), id(False), id(LockState)]
    try:
        page = _map(code[:labels["self_word"]] + struct.pack("<%dQ" % len(data), *data))
    except OSError as e:
        return None, str(e)
    thread_id = _MethodDef(b"thread_id", page + labels["thread_id"], _METH_NOARGS, None)
    api.PyCFunction_NewEx.restype = ctypes.py_object
    api.PyCFunction_NewEx.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]
    why = _thread_check(api.PyCFunction_NewEx(ctypes.addressof(thread_id), None, None))
    if why is not None:
        return None, why
    return MachineCode(page, labels, [self_word, enter_slow, exit_slow, wake, thread_id]), None


def _thread_check(thread_id):
    """Why fs:[0] is not threading.get_ident() (in two threads) here, or None."""
    seen = []
    other = threading.Thread(target=lambda: seen.append(thread_id() == threading.get_ident()))
    other.start()
    other.join()
    if thread_id() != threading.get_ident() or seen != [True]:
        return "pthread_self() is not at fs:[0] here"
    return None
