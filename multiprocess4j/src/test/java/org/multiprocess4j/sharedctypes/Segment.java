package org.multiprocess4j.sharedctypes;

import static org.multiprocess4j.sharedctypes.CType.c_bool;
import static org.multiprocess4j.sharedctypes.CType.c_char;
import static org.multiprocess4j.sharedctypes.CType.c_int;
import static org.multiprocess4j.sharedctypes.CType.c_short;
import static org.multiprocess4j.sharedctypes.StructType.field;

/** A structure with padding, nested structures and arrays of both: {@code struct { char tag; Point a; short n; Point path[2]; int ids[3]; _Bool ok; }}. */
public final class Segment extends Struct<Segment> {
    public static final StructType<Segment> TYPE = StructType.define(Segment::new,
            field("tag", c_char), field("a", Point.TYPE), field("n", c_short), field("path", Point.TYPE.array(2)),
            field("ids", c_int.array(3)), field("ok", c_bool));
    static final CharField TAG = TYPE.field("tag", CharField.class);
    static final StructField<Point> A = TYPE.structField("a", Point.TYPE);
    static final ShortField N = TYPE.field("n", ShortField.class);
    static final ArrayField PATH = TYPE.field("path", ArrayField.class);
    static final ArrayField IDS = TYPE.field("ids", ArrayField.class);
    static final BoolField OK = TYPE.field("ok", BoolField.class);

    private Segment() {
    }

    public Point a() {
        return A.get(this);
    }

    public StructArray<Point> path() {
        return PATH.get(this);
    }

    public IntArray ids() {
        return IDS.get(this);
    }
}
