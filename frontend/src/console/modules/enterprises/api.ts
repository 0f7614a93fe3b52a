import { api, type Page } from '@/shared/api'
import type { paths } from '@/shared/api-types'

// Paths are checked against the contract: if openapi.json moves them, `npm run typecheck` fails.
const LIST = '/api/v1/access/enterprises' satisfies keyof paths
const DETAIL = '/api/v1/access/enterprises/{enterprise_id}' satisfies keyof paths

type ListOperation = paths[typeof LIST]['get']
type DetailOperation = paths[typeof DETAIL]['get']

export type EnterpriseQuery = NonNullable<ListOperation['parameters']['query']>
export type Enterprise = DetailOperation['responses'][200]['content']['application/json']

export const listEnterprises = (query: EnterpriseQuery) => api.get<Page<Enterprise>>(LIST, query)
export const getEnterprise = (id: number) => api.get<Enterprise>(DETAIL.replace('{enterprise_id}', String(id)))
