using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// Diagnostics of one climbing step t at one scale, summed over the image's classes:
/// <see cref="Objective"/> = L(x_t) as the step used it (λ = 0 at t = 0; from the climbing graph, or recomputed on the
/// host for the last step, which runs without a gradient), its <see cref="LogitTerm"/> Σ_b [y_c − Σ_{k≠c} y_k] and its
/// <see cref="Regulariser"/> Σ M_t |A_t − A_0| before the weight λ (0 at t = 0, where A_t is A_0). <see cref="Maps"/>
/// holds A_t [P, h, w] at the classifier's stride in the order of the requested classes, only when
/// <see cref="ClimbingTrace.RecordMaps"/> is set. <see cref="Elapsed"/> is the step's wall time.
/// </summary>
public sealed record ClimbingStep(float Scale, int Step, float Objective, float LogitTerm, float Regulariser, HostTensor<float>? Maps, TimeSpan Elapsed);
