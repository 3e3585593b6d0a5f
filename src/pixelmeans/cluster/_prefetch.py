"""A software prefetch of one row of a 2-D array, for compiled kernels.

Kernels that read rows scattered over a large array (the rows a bound could not rule
out) otherwise wait on memory for each row in turn; asking for the next rows while
the current ones are used overlaps those waits. A prefetch is only a hint: it never
changes a result.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch_row"]

_LINE = 64  # bytes per cache line on the x86-64 and arm64 machines numba targets


@intrinsic
def prefetch_row(typingctx, arr, i):
    """Prefetch every cache line of row ``i`` of C-contiguous 2-D ``arr`` (for reading)."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and isinstance(i, types.Integer)):
        return None
    sig = types.void(arr, i)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        row = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [row, i64(0)])
        byte_ptr = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        row_bytes = builder.extract_value(ary.strides, 0)
        with cgutils.for_range_slice(builder, i64(0), row_bytes, i64(_LINE)) as (offset, _):
            # read access, highest temporal locality, data cache
            builder.call(fn, [builder.gep(byte_ptr, [offset]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
