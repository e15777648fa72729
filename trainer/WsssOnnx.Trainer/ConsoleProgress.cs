using Spectre.Console;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>Draws a training run's progress bar (loss, images/s, ETA) and prints its epoch lines.</summary>
internal static class ConsoleProgress
{
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                var progress = new Progress(task);
                result = work(progress);
                task.Value = task.MaxValue;
            });
        return result;
    }

    private sealed class Progress(ProgressTask task) : IProgress<TrainingProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(TrainingProgress p)
        {
            if (p.Message is not null) AnsiConsole.MarkupLine(Markup.Escape(p.Message));
            // A resume reports its position before any step has a loss: nothing to show in the bar yet.
            if (p.TotalSteps <= 0 || double.IsNaN(p.Loss)) return;
            task.MaxValue = p.TotalSteps;
            task.Value = p.Step;
            if (DateTime.UtcNow - _last < TimeSpan.FromMilliseconds(200) && p.Message is null) return;
            _last = DateTime.UtcNow;
            task.Description = Markup.Escape($"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} {p.ImagesPerSecond:F0} img/s");
        }
    }
}
