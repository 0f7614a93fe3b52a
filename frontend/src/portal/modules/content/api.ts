/** Content API (tag "content"): articles, sign-ups, slots, the introduction and the latest-activity feed. */
import { api, type Page } from '@/shared/api'

export interface Article {
  id: number
  kind: string
  kind_label: string
  title: string
  summary: string
  category: string
  cover_url: string
  cover_id: number | null
  status: string
  status_label: string
  pinned: boolean
  published_at: string | null
  starts_at: string | null
  ends_at: string | null
  location: string
  signup_enabled: boolean
  signup_deadline: string | null
  capacity: number | null
  signed_up: number
}

export interface ArticleDetail extends Article {
  body: string
  my_signup: boolean
}

export interface SlotItem {
  id: number
  placement: string
  title: string
  subtitle: string
  image_url: string
  link_url: string
  sort: number
}

export interface Slots {
  banner: SlotItem[]
  feed: SlotItem[]
  announcement: SlotItem[]
  hot_product: SlotItem[]
  activity: SlotItem[]
}

export interface Counter {
  key: string
  label: string
  unit: string
  value: number
}

export interface Intro {
  title: string
  body: string
  video_url: string
  counters: Counter[]
}

export interface FeedItem {
  id: number
  category: string
  category_label: string
  text: string
  at: string
}

export interface Home {
  slots: Slots
  notices: Article[]
  intro: Intro
  feed: FeedItem[]
}

export interface SignupBody {
  name: string
  phone: string
  organisation_name: string
  note: string
}

export const KINDS = [
  { value: 'news', label: '资讯' },
  { value: 'notice', label: '公告' },
  { value: 'activity', label: '活动' },
  { value: 'guide', label: '操作指南' },
  { value: 'faq', label: '常见问题' },
]

export const getHome = () => api.get<Home>('/content/home')
export const listArticles = (query: { kind?: string; q?: string; page?: number; size?: number }) =>
  api.get<Page<Article>>('/content/articles', query)
export const getArticle = (id: number) => api.get<ArticleDetail>(`/content/articles/${id}`)
export const signUp = (id: number, body: SignupBody) => api.post(`/content/articles/${id}/signup`, body)
export const cancelSignup = (id: number) => api.delete(`/content/articles/${id}/signup`)

/** Slot links are site paths of the portal or outside http(s) addresses (checked on the server). */
export function isExternal(link: string): boolean {
  return /^https?:\/\//i.test(link)
}
