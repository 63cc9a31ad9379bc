// A thin React wrapper over ECharts (modular import: only the bar and line charts the pages use).
import { useEffect, useRef } from "react";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** What a click on a chart item reports (ECharts' event parameters, the part pages read). */
export type ChartClick = { dataType?: string; data?: unknown; name?: string };

export function EChart({ option, label, onClick, className }: { option: ChartOption; label: string; onClick?: (p: ChartClick) => void; className?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  useEffect(() => {
    if (!el.current) return;
    chart.current = echarts.init(el.current);
    chart.current.on("click", (p) => click.current?.(p as ChartClick));
    const resize = () => chart.current?.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  return <div ref={el} className={className ?? "zk-chart"} role="img" aria-label={label} />;
}
