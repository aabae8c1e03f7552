// Scenarios restart the shared server and measure nothing by time: run them one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
