/**
 * What the rule editor offers for the facts whose values come from a table: GB/T 4754 industries
 * (the public policies/options list, grouped 门类 → 大类) and the tenant's 镇街 (auth/towns).
 * Fetched by the root rule editor when it mounts and shared by all its nodes; the server checks
 * every saved value against the same tables.
 */
import { reactive } from 'vue'
import { api } from '@/shared/api'
import { getOptions, type IndustryChoice } from '@/portal/modules/policies/api'

export interface IndustryGroup {
  code: string
  name: string
  divisions: IndustryChoice[]
}

export const ruleChoices = reactive({
  industries: [] as IndustryGroup[],
  /** code → "C 制造业", to show a saved code by name. */
  industryNames: {} as Record<string, string>,
  towns: [] as string[],
  loading: false,
  error: '',
})

let pending: Promise<void> | null = null

export function loadRuleChoices(): Promise<void> {
  if (pending) return pending
  ruleChoices.loading = true
  ruleChoices.error = ''
  pending = Promise.all([getOptions(), api.get<{ id: number; name: string }[]>('/auth/towns')])
    .then(([options, towns]) => {
      const groups: IndustryGroup[] = []
      const names: Record<string, string> = {}
      for (const item of options.industries) {
        names[item.code] = `${item.code} ${item.name}`
        if (!item.section) groups.push({ code: item.code, name: item.name, divisions: [] })
        else groups.find((g) => g.code === item.section)?.divisions.push(item)
      }
      ruleChoices.industries = groups
      ruleChoices.industryNames = names
      ruleChoices.towns = towns.map((t) => t.name)
    })
    .catch(() => {
      ruleChoices.error = '行业和镇街列表加载失败，请刷新页面重试'
    })
    .finally(() => {
      ruleChoices.loading = false
      pending = null
    })
  return pending
}
