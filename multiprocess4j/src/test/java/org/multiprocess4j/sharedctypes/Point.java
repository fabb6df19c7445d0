package org.multiprocess4j.sharedctypes;

import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.StructType.field;

/** The seed's {@code Point}: two doubles. */
public final class Point extends Struct<Point> {
    public static final StructType<Point> TYPE = StructType.define(Point::new, field("x", c_double),
            field("y", c_double));
    private static final DoubleField X = TYPE.field("x", DoubleField.class);
    private static final DoubleField Y = TYPE.field("y", DoubleField.class);

    private Point() {
    }

    public double x() {
        return X.get(this);
    }

    public void x(double x) {
        X.set(this, x);
    }

    public double y() {
        return Y.get(this);
    }

    public void y(double y) {
        Y.set(this, y);
    }
}
