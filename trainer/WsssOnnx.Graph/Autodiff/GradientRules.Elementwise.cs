namespace WsssOnnx.Graph.Autodiff;

public static partial class GradientRules
{
    private static void RegisterElementwise()
    {
        // d(a+b) = da + db; broadcast inputs sum their gradient over the broadcast axes.
        Register("Add", (c, n, dY) => [c.ReduceToShape(dY[0]!, n.In(0)), c.ReduceToShape(dY[0]!, n.In(1))]);
        Register("Sub", (c, n, dY) => [c.ReduceToShape(dY[0]!, n.In(0)), c.ReduceToShape(c.G.Neg(dY[0]!), n.In(1))]);
        // d(ab) = b da + a db
        Register("Mul", (c, n, dY) => [c.ReduceToShape(dY[0]! * n.In(1), n.In(0)), c.ReduceToShape(dY[0]! * n.In(0), n.In(1))]);
        // d(a/b) = da / b - (a/b) db / b
        Register("Div", (c, n, dY) => [c.ReduceToShape(dY[0]! / n.In(1), n.In(0)), c.ReduceToShape(-(dY[0]! * n.Outputs[0]) / n.In(1), n.In(1))]);
        Register("Sum", (c, n, dY) => [.. n.Inputs.Select(i => (Value?)c.ReduceToShape(dY[0]!, i!))]);
        Register("Neg", (c, n, dY) => [c.G.Neg(dY[0]!)]);
        Register("Identity", (c, n, dY) => [dY[0]]);
        // Relu' = 1[y > 0] (0 at the kink)
        Register("Relu", (c, n, dY) => [c.Masked(c.G.Greater(n.Outputs[0], c.G.Scalar(0f)), dY[0]!)]);
        // |x|' = sign(x)
        Register("Abs", (c, n, dY) => [dY[0]! * c.G.Sign(n.In(0))]);
        // sigma' = y (1 - y)
        Register("Sigmoid", (c, n, dY) => [dY[0]! * (n.Outputs[0] * (c.G.Scalar(1f) - n.Outputs[0]))]);
        // exp' = y; log' = 1/x
        Register("Exp", (c, n, dY) => [dY[0]! * n.Outputs[0]]);
        Register("Log", (c, n, dY) => [dY[0]! / n.In(0)]);
        // softplus' = sigmoid(x)
        Register("Softplus", (c, n, dY) => [dY[0]! * c.G.Sigmoid(n.In(0))]);
        // sqrt' = 1 / (2 y)
        Register("Sqrt", (c, n, dY) => [dY[0]! * 0.5f / n.Outputs[0]]);
        // (1/x)' = -y^2
        Register("Reciprocal", (c, n, dY) => [-(dY[0]! * n.Outputs[0] * n.Outputs[0])]);
        // d(x^p) = p x^(p-1) dx + x^p ln(x) dp
        Register("Pow", (c, n, dY) =>
        [
            c.ReduceToShape(dY[0]! * n.In(1) * c.G.Pow(n.In(0), n.In(1) - c.G.Scalar(1f)), n.In(0)),
            c.ReduceToShape(dY[0]! * n.Outputs[0] * c.G.Log(n.In(0)), n.In(1)),
        ]);
        // Clip passes the gradient where it left x unchanged.
        Register("Clip", (c, n, dY) => [c.Masked(c.G.Equal(n.In(0), n.Outputs[0]), dY[0]!)]);
        Register("Where", (c, n, dY) =>
        [
            null,
            c.ReduceToShape(c.G.Where(n.In(0), dY[0]!, c.G.Scalar(0f)), n.In(1)),
            c.ReduceToShape(c.G.Where(n.In(0), c.G.Scalar(0f), dY[0]!), n.In(2)),
        ]);
        Register("Cast", (c, n, dY) => [c.G.Cast(dY[0]!, n.In(0).Type)]);
    }
}
