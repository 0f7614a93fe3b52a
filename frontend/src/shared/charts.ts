/**
 * ECharts, registered on demand (only what is listed here is bundled). Use in a component:
 *   import { VChart } from '@/shared/charts'
 *   <VChart :option="option" autoresize style="height: 320px" />
 */
import { use } from 'echarts/core'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import VChart from 'vue-echarts'

use([BarChart, LineChart, PieChart, DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer])

export { VChart }
